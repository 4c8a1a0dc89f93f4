// `pas workload run|verify`: the workload that proves a swap loses nothing.
// Formats, ownership and how verify decides: doc/workload.md. Message IDs
// PAS170-PAS189 (doc/workload.md, "Messages").
#include <boost/program_options.hpp>

#include <cinttypes>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "ckd/image.h"
#include "host/config.h"
#include "pas/command.h"
#include "workload/journal.h"
#include "workload/run.h"
#include "workload/verify.h"

namespace pas::cli {
namespace {

namespace po = boost::program_options;

bool ParseArgs(int argc, char** argv, const po::options_description& opts,
               po::variables_map& vm, const char* what) {
  try {
    po::store(po::command_line_parser(argc, argv).options(opts).run(), vm);
    if (vm.count("help")) {
      std::cout << opts << "\n";
      return false;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    std::fprintf(stderr, "PAS170E %s: %s\n", what, e.what());
    std::cerr << opts << "\n";
    vm.clear();
    return false;
  }
  return true;
}

int WorkloadRun(int argc, char** argv) {
  workload::RunOptions o;
  std::string unit, tracks, config_path;
  po::options_description opts("pas workload run options");
  opts.add_options()("help", "this text")(
      "unit", po::value(&unit)->required(), "unit (device number) to write")(
      "writers", po::value(&o.writers)->default_value(4), "writer processes on this system")(
      "duration", po::value(&o.duration_s)->default_value(10), "seconds each writer runs")(
      "writes", po::value(&o.max_writes)->default_value(0),
      "writes per writer (0: until the duration ends)")(
      "rate", po::value(&o.rate)->default_value(0), "writes/s per writer (0: unpaced)")(
      "journal", po::value(&o.journal)->required(), "journal base name (writer G: FILE.wG)")(
      "system-index", po::value<uint32_t>(),
      "index I of this system among the systems writing the volume (default: a free share is "
      "claimed on the volume)")(
      "systems", po::value(&o.systems)->default_value(0),
      "number M of systems writing (0: the systems that have the volume online)")(
      "tracks", po::value(&tracks),
      "area FIRST-LAST (relative tracks; inside PAS.WORKLOAD on a volume with a VTOC)")(
      "allocate", po::value(&o.allocate_tracks)->default_value(0),
      "tracks of PAS.WORKLOAD when it must be allocated (0: up to 150, the largest free extent)")(
      "seed", po::value(&o.seed)->default_value(0), "random seed (0: from the clock)")(
      "config", po::value(&config_path), "system configuration (default $PAS_CONFIG)");
  po::variables_map vm;
  if (!ParseArgs(argc, argv, opts, vm, "workload run")) return vm.count("help") ? 0 : 12;
  auto devnum = host::ParseDevnum(unit);
  if (!devnum) {
    std::fprintf(stderr, "PAS170E workload run: --unit '%s' is not a device number\n",
                 unit.c_str());
    return 12;
  }
  o.devnum = *devnum;
  if (vm.count("system-index")) o.system_index = vm["system-index"].as<uint32_t>();
  if (!tracks.empty()) {
    unsigned a = 0, b = 0;
    char extra = 0;
    if (std::sscanf(tracks.c_str(), "%u-%u%c", &a, &b, &extra) != 2) {
      std::fprintf(stderr, "PAS170E workload run: --tracks '%s' is not FIRST-LAST\n",
                   tracks.c_str());
      return 12;
    }
    o.tracks = std::make_pair(a, b);
  }
  auto path = host::ResolveConfigPath(config_path);
  auto config = path.ok() ? host::LoadSystemConfig(*path) : Result<host::SystemConfig>(path.status());
  if (!config.ok()) {
    std::fprintf(stderr, "PAS171E %s\n", config.status().message().c_str());
    return 12;
  }
  auto plan = workload::PlanWorkload(*config, o);
  if (!plan.ok()) {
    // PAS761E (no room for PAS.WORKLOAD) and PAS762E (shares overlap)
    // carry their ID at the start of the text.
    const std::string& m = plan.status().message();
    if (m.rfind("PAS761E ", 0) == 0 || m.rfind("PAS762E ", 0) == 0) {
      std::fprintf(stderr, "%.8sUNIT=%s: %s\n", m.c_str(), unit.c_str(), m.c_str() + 8);
    } else {
      std::fprintf(stderr, "PAS172E UNIT=%s: %s\n", unit.c_str(), m.c_str());
    }
    return 12;
  }
  if (plan->choice.allocated) {
    std::printf("PAS760I DATA SET %s ALLOCATED ON VOL=%s: TRACKS %u-%u (%u TRACKS)\n",
                workload::kWorkloadDataSet,
                plan->volser.empty() ? "*NONE*" : plan->volser.c_str(), plan->choice.first_track,
                plan->choice.first_track + plan->choice.tracks - 1, plan->choice.tracks);
  }
  std::printf(
      "PAS179I WORKLOAD ON UNIT=%s VOL=%s SYSTEM=%s: %u WRITERS (GLOBAL %u-%u OF %u, "
      "SHARE %u OF %u), AREA %s TRACKS %s, JOURNAL %s.wN\n",
      host::FormatDevnum(o.devnum).c_str(), plan->volser.empty() ? "*NONE*" : plan->volser.c_str(),
      plan->system.c_str(), o.writers, plan->first_writer, plan->first_writer + o.writers - 1,
      plan->total_writers, plan->system_index, plan->systems, plan->area.source.c_str(),
      plan->area.ToString().c_str(),
      o.journal.c_str());
  std::fflush(stdout);
  auto result = workload::RunWorkload(*config, o, *plan);
  if (!result.ok()) {
    std::fprintf(stderr, "PAS189E UNIT=%s: %s\n", unit.c_str(), result.status().message().c_str());
    return 12;
  }
  const auto& r = *result;
  for (const auto& e : r.errors) std::printf("PAS181E UNIT=%s %s\n", unit.c_str(), e.c_str());
  const double rate = r.elapsed_s > 0 ? static_cast<double>(r.writes) / r.elapsed_s : 0;
  std::printf(
      "PAS180I WORKLOAD ENDED ON UNIT=%s: WRITES=%" PRIu64 " ELAPSED=%.2fs WRITES/S=%.0f "
      "LATENCY P50=%" PRIu64 "us P99=%" PRIu64 "us MAX=%" PRIu64 "us "
      "LONGEST STALL=%.3fms (WRITER %u TRACK %u) STALLS>10MS=%" PRIu64
      " LONGEST QUIESCE WAIT=%.3fms REOPENS=%" PRIu64 "\n",
      unit.c_str(), r.writes, r.elapsed_s, rate, r.latency.Percentile(0.50),
      r.latency.Percentile(0.99), r.latency.max(), static_cast<double>(r.latency.max()) / 1000.0,
      r.stall_writer, r.stall_track, r.stalls_over_10ms,
      static_cast<double>(r.longest_gate_wait_us) / 1000.0, r.reopens);
  return r.errors.empty() ? 0 : 8;
}

int WorkloadVerify(int argc, char** argv) {
  std::vector<std::string> journals;
  std::string image_path;
  size_t max_list = 50;
  po::options_description opts("pas workload verify options");
  opts.add_options()("help", "this text")(
      "journal", po::value(&journals)->required()->composing(),
      "journal base name or file (repeatable); BASE.wN files are found")(
      "image", po::value(&image_path)->required(), "image file to check")(
      "max-list", po::value(&max_list)->default_value(50), "problems listed at most");
  po::variables_map vm;
  if (!ParseArgs(argc, argv, opts, vm, "workload verify")) return vm.count("help") ? 0 : 12;
  auto files = workload::ExpandJournalNames(journals);
  if (!files.ok()) {
    std::fprintf(stderr, "PAS173E %s\n", files.status().message().c_str());
    return 12;
  }
  std::vector<workload::JournalEntry> entries;
  for (const auto& f : *files) {
    auto c = workload::ReadJournal(f);
    if (!c.ok()) {
      std::fprintf(stderr, "PAS173E %s\n", c.status().message().c_str());
      return 12;
    }
    if (c->incomplete_tail) {
      std::printf("PAS182W %s: LAST LINE INCOMPLETE (WRITER ENDED DURING AN APPEND), IGNORED\n",
                  f.c_str());
    }
    entries.insert(entries.end(), c->entries.begin(), c->entries.end());
  }
  auto image = ckd::CkdImage::Open(image_path, false);
  if (!image.ok()) {
    std::fprintf(stderr, "PAS174E IMAGE %s: %s\n", image_path.c_str(),
                 image.status().message().c_str());
    return 12;
  }
  auto report = workload::VerifyImage(*image, entries);
  if (!report.ok()) {
    std::fprintf(stderr, "PAS173E %s\n", report.status().message().c_str());
    return 12;
  }
  const auto& r = *report;
  if (r.ok()) {
    std::printf(
        "PAS175I VERIFY OF %s PASSED: %u TRACKS FROM %" PRIu64
        " JOURNALED WRITES IN %zu JOURNALS ALL PRESENT AND INTACT (%u NEWER ON DISK, "
        "%u CUT SHORT IN FLIGHT)\n",
        image_path.c_str(), r.tracks_checked, r.entries, files->size(), r.newer_on_disk,
        r.torn_in_flight);
    return 0;
  }
  const auto& g = image->geometry();
  size_t listed = 0;
  uint32_t lost = 0, torn = 0, overwritten = 0;
  for (const auto& p : r.problems) {
    using Kind = workload::VerifyProblem::Kind;
    const char* id = "PAS177E";
    const char* what = "TORN";
    if (p.kind == Kind::kLost) {
      ++lost;
      id = "PAS176E";
      what = "LOST WRITE";
    } else if (p.kind == Kind::kOverwritten) {
      ++overwritten;
      id = "PAS763E";
      what = "OVERWRITTEN BY ANOTHER WRITER";
    } else {
      ++torn;
    }
    if (listed++ >= max_list) continue;
    const auto a = ckd::TrackAddress(g, p.track);
    std::printf("%s TRACK %u (CC %u HH %u): %s: WRITER %u SEQ %" PRIu64 " (%s:%d): %s\n", id,
                p.track, a.cyl, a.head, what, p.expected.writer, p.expected.seq,
                p.expected.file.c_str(), p.expected.line, p.detail.c_str());
  }
  if (listed > max_list) std::printf("... AND %zu MORE\n", listed - max_list);
  std::printf("PAS178E VERIFY OF %s FAILED: %u LOST, %u TORN, %u OVERWRITTEN BY ANOTHER WRITER OF %u "
              "TRACKS CHECKED\n",
              image_path.c_str(), lost, torn, overwritten, r.tracks_checked);
  return 1;
}

int WorkloadCommand(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr,
                 "PAS170E usage: pas workload run --unit UNIT --journal FILE [options]\n"
                 "               pas workload verify --journal FILE [--journal FILE...] --image IMAGE\n");
    return 12;
  }
  std::string sub = argv[1];
  if (sub == "--help" || sub == "-h" || sub == "help") {
    std::printf("usage: pas workload run --unit UNIT --journal FILE [options]  (run --help)\n"
                "       pas workload verify --journal FILE [--journal FILE...] --image IMAGE\n"
                "Formats and decisions: doc/workload.md\n");
    return 0;
  }
  if (sub == "run") return WorkloadRun(argc - 1, argv + 1);
  if (sub == "verify") return WorkloadVerify(argc - 1, argv + 1);
  std::fprintf(stderr, "PAS170E workload: unknown subcommand '%s' (run, verify)\n", sub.c_str());
  return 12;
}

}  // namespace

PAS_COMMAND("workload", "run the verifying workload on a unit, or verify an image against its journals",
            WorkloadCommand);

}  // namespace pas::cli
