// `pas status [--json] [--config FILE]`: every swap job running on this
// system, from any terminal — what each job publishes on the system's
// status board (host/job_status.h, doc/job-status.md): one line per volume
// in progress with its phase, pass, percent, dirty tracks, MB/s and ETA.
#include <boost/program_options.hpp>

#include <cmath>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <string>

#include "host/job_status.h"
#include "pas/command.h"
#include "pas/system_arg.h"
#include "report/messages.h"
#include "report/report.h"

namespace pas::cli {
namespace {

namespace po = boost::program_options;

std::string Clock(int64_t wall_us, const char* format) {
  std::time_t t = static_cast<std::time_t>(wall_us / 1'000'000);
  char buf[32];
  std::strftime(buf, sizeof buf, format, std::localtime(&t));
  return buf;
}

std::string Eta(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "--:--";
  long s = std::lround(seconds);
  char buf[32];
  if (s >= 3600) {
    std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
  }
  return buf;
}

std::string Json(const std::string& system, const std::vector<host::JobStatus>& jobs) {
  auto num = [](double v, int digits) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", digits, std::isfinite(v) ? v : 0.0);
    return std::string(buf);
  };
  std::string out = "{\"system\":" + report::JsonString(system) + ",\"jobs\":[";
  for (size_t i = 0; i < jobs.size(); ++i) {
    const host::JobStatus& j = jobs[i];
    if (i) out += ",";
    out += "{\"pid\":" + std::to_string(j.pid) + ",\"function\":" + report::JsonString(j.function) +
           ",\"deck\":" + report::JsonString(j.deck) + ",\"started_us\":" + std::to_string(j.started_us) +
           ",\"updated_us\":" + std::to_string(j.updated_us) + ",\"volumes\":[";
    for (size_t k = 0; k < j.volumes.size(); ++k) {
      const host::JobVolumeStatus& v = j.volumes[k];
      if (k) out += ",";
      out += "{\"volser\":" + report::JsonString(v.volser) + ",\"source_unit\":" +
             report::JsonString(v.source_unit) + ",\"target_unit\":" + report::JsonString(v.target_unit) +
             ",\"phase\":" + report::JsonString(v.phase) + ",\"pass\":" + std::to_string(v.pass) +
             ",\"tracks_done\":" + std::to_string(v.tracks_done) + ",\"tracks_total\":" +
             std::to_string(v.tracks_total) + ",\"dirty_tracks\":" + std::to_string(v.dirty_tracks) +
             ",\"percent\":" + num(v.percent, 1) + ",\"rate_mbps\":" + num(v.rate_mbps, 1) +
             ",\"eta_seconds\":" + (v.eta_seconds < 0 ? std::string("null") : num(v.eta_seconds, 0)) + "}";
    }
    out += "]}";
  }
  out += "]}\n";
  return out;
}

int StatusCommand(int argc, char** argv) {
  std::string config_path;
  po::options_description opts("pas status options");
  opts.add_options()("help", "this text")("json", "print one JSON object")(
      "config", po::value(&config_path), "system configuration (default $PAS_CONFIG)");
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(opts).run(), vm);
    if (vm.count("help")) {
      std::cout << "usage: pas status [--json] [--config FILE]\n\n"
                   "Every swap job running on this system: volume, units, phase, pass,\n"
                   "percent of the pass, dirty tracks, MB/s and ETA.\n\n"
                << opts;
      return 0;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    std::fprintf(stderr, "%s\n", report::Format("PAS003E", {{"command", "status"}, {"reason", e.what()}}).c_str());
    return report::kCcJobFailed;
  }
  auto config = LoadConfigOrReport(config_path);
  if (!config) return report::kCcJobFailed;
  auto jobs = host::ListRunningJobs(config->name);
  if (!jobs.ok()) {
    std::fprintf(stderr, "%s\n",
                 report::Format("PAS522E", {{"system", config->name}, {"reason", jobs.status().message()}}).c_str());
    return report::kCcJobFailed;
  }
  if (vm.count("json")) {
    std::fputs(Json(config->name, *jobs).c_str(), stdout);
    return report::kCcOk;
  }
  const std::string now = Clock(static_cast<int64_t>(std::time(nullptr)) * 1'000'000, "%H.%M.%S");
  if (jobs->empty()) {
    std::printf("%s\n", report::Format("PAS521I", {{"time", now}, {"system", config->name}}).c_str());
    return report::kCcOk;
  }
  std::printf("%s\n", report::Format("PAS520I", {{"time", now},
                                                 {"system", config->name},
                                                 {"count", std::to_string(jobs->size())}})
                          .c_str());
  std::printf("%-8s %-10s %-8s %-6s %-6s %-6s %-8s %4s %7s %8s %8s %8s\n", "JOB", "FUNCTION", "STARTED",
              "VOLSER", "SOURCE", "TARGET", "PHASE", "PASS", "PERCENT", "DIRTY", "MB/S", "ETA");
  for (const host::JobStatus& j : *jobs) {
    const std::string started = Clock(j.started_us, "%H.%M.%S");
    if (j.volumes.empty()) {
      std::printf("%-8u %-10s %-8s %-6s %-6s %-6s %-8s %4s %7s %8s %8s %8s\n", j.pid, j.function.c_str(),
                  started.c_str(), "-", "-", "-", "STARTING", "-", "-", "-", "-", "-");
      continue;
    }
    for (const host::JobVolumeStatus& v : j.volumes) {
      char percent[16], rate[32];
      std::snprintf(percent, sizeof percent, "%.1f%%", v.percent);
      std::snprintf(rate, sizeof rate, "%.1f", v.rate_mbps);
      std::printf("%-8u %-10s %-8s %-6s %-6s %-6s %-8s %4u %7s %8llu %8s %8s\n", j.pid, j.function.c_str(),
                  started.c_str(), v.volser.c_str(), v.source_unit.c_str(), v.target_unit.c_str(),
                  v.phase.c_str(), v.pass, percent, static_cast<unsigned long long>(v.dirty_tracks), rate,
                  Eta(v.eta_seconds).c_str());
    }
  }
  return report::kCcOk;
}

}  // namespace

PAS_COMMAND("status", "show the swap jobs running on this system (volume, phase, pass, %, MB/s, ETA)",
            StatusCommand);

}  // namespace pas::cli
