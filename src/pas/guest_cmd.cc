// `pas guest install|show|verify`: the test guest (doc/hercules-guest.md)
// around a running Hercules. `install` writes the load files for `ipl`,
// `show` reads the guest's counters over the Hercules HTTP console,
// `verify` checks an image against them: after the guest stopped, every
// write it saw complete is on the image; with --point-in-time, the image
// is the state after exactly one count of writes (a SWAPDUMP copy).
// Messages PAS680-PAS689.
#include <boost/program_options.hpp>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <thread>

#include "ckd/image.h"
#include "hercules/console.h"
#include "hercules/guest.h"
#include "pas/command.h"

namespace po = boost::program_options;

namespace pas::cli {
namespace {

constexpr int kFailed = 8;
constexpr int kUsage = 12;

int Usage(const std::string& reason) {
  std::fprintf(stderr, "PAS003E INVALID ARGUMENTS FOR guest: %s\n", reason.c_str());
  return kUsage;
}

bool ParseArgs(int argc, char** argv, const po::options_description& opts, const po::positional_options_description& pos,
               po::variables_map& vm, const char* synopsis, int* rc) {
  try {
    po::store(po::command_line_parser(argc, argv).options(opts).positional(pos).run(), vm);
    if (vm.count("help")) {
      std::cout << "usage: pas guest " << synopsis << "\n\n" << opts;
      *rc = 0;
      return false;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    *rc = Usage(e.what());
    return false;
  }
  return true;
}

void PrintCounters(int port, const hercules::GuestCounters& c) {
  std::printf("PAS682I GUEST ON PORT %d: %s, %u WRITES COMPLETED, %u ERRORS, LONGEST WRITE %.3f MS (AT WRITE %u), "
              "RUN %016llX\n",
              port, hercules::GuestStateName(c.state).c_str(), c.writes, c.errors, c.longest_us / 1000.0, c.longest_at,
              static_cast<unsigned long long>(c.run_id));
}

int ConsoleError(int port, const Status& s) {
  std::fprintf(stderr, "PAS686E HERCULES CONSOLE ON PORT %d DOES NOT ANSWER: %s\n", port, s.message().c_str());
  return kFailed;
}

int Install(int argc, char** argv) {
  std::string dir, device = "0A80";
  hercules::GuestParams p;
  po::options_description opts("pas guest install options");
  opts.add_options()("help,h", "this help")("dir", po::value(&dir)->required(), "directory for the load files")(
      "device", po::value(&device), "device number the guest writes (default 0A80)")(
      "first-track", po::value(&p.first_track), "first relative track (default 15: cylinder 1)")(
      "tracks", po::value(&p.tracks), "tracks written round-robin (default 150)")(
      "data-length", po::value(&p.data_length), "data bytes per record, 32-16384 (default 4096)")(
      "delay-us", po::value(&p.delay_us), "microseconds between writes (default 0: as fast as it can)");
  po::positional_options_description pos;
  pos.add("dir", 1);
  po::variables_map vm;
  int rc = 0;
  if (!ParseArgs(argc, argv, opts, pos, vm, "install DIR [--device 0A80] [--first-track 15] [--tracks 150] "
                                            "[--data-length 4096] [--delay-us 0]", &rc))
    return rc;
  unsigned dev = 0;
  char extra = 0;
  if (device.size() > 4 || std::sscanf(device.c_str(), "%x%c", &dev, &extra) != 1)
    return Usage("--device '" + device + "' is not a device number");
  p.device = uint16_t(dev);
  auto ins = hercules::InstallGuest(dir, p);
  if (!ins.ok()) {
    if (ins.status().kind() == Status::Kind::kNotSupported) {
      std::fprintf(stderr, "PAS680E THE TEST GUEST IS NOT AVAILABLE: %s\n", ins.status().message().c_str());
      return kUsage;
    }
    if (ins.status().kind() == Status::Kind::kInvalidArgument) return Usage(ins.status().message());
    std::fprintf(stderr, "PAS681E THE GUEST CANNOT BE INSTALLED IN %s: %s\n", dir.c_str(),
                 ins.status().message().c_str());
    return kUsage;
  }
  std::printf("PAS683I GUEST INSTALLED: DEVICE %04X, TRACKS %u-%u, %u-BYTE RECORDS; START IT WITH THE CONSOLE "
              "COMMAND: ipl %s\n",
              p.device, p.first_track, p.first_track + p.tracks - 1, p.data_length, ins->c_str());
  return 0;
}

int Show(int argc, char** argv) {
  int port = 0;
  po::options_description opts("pas guest show options");
  opts.add_options()("help,h", "this help")("port", po::value(&port)->required(), "the Hercules HTTPPORT");
  po::variables_map vm;
  int rc = 0;
  if (!ParseArgs(argc, argv, opts, {}, vm, "show --port N", &rc)) return rc;
  auto c = hercules::HerculesConsole(port).ReadCounters();
  if (!c.ok()) return ConsoleError(port, c.status());
  PrintCounters(port, *c);
  return c->started && c->state == 2 && c->errors == 0 ? 0 : 4;
}

int Verify(int argc, char** argv) {
  int port = 0;
  std::string image;
  po::options_description opts("pas guest verify options");
  opts.add_options()("help,h", "this help")("image", po::value(&image)->required(), "the image to check")(
      "port", po::value(&port)->required(), "the Hercules HTTPPORT of the guest's system")(
      "point-in-time", "check that the image is a point-in-time copy of the guest's writes (the guest keeps running)");
  po::positional_options_description pos;
  pos.add("image", 1);
  po::variables_map vm;
  int rc = 0;
  if (!ParseArgs(argc, argv, opts, pos, vm, "verify IMAGE --port N [--point-in-time]", &rc)) return rc;
  const bool pit = vm.count("point-in-time") > 0;
  hercules::HerculesConsole console(port);
  if (!pit) {
    // Stop the CPU: the counters no longer move; the one write that may be
    // in flight completes on the device thread meanwhile.
    auto s = console.Command("stop");
    if (!s.ok()) return ConsoleError(port, s.status());
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  auto params = console.ReadParams();
  if (!params.ok()) return ConsoleError(port, params.status());
  if (!pit) {
    // A compressed image holds what Hercules wrote back, not what it keeps
    // in its cache (doc/cckd-live.md): `devinit` of the device without a
    // file name makes Hercules flush and reopen the file it has open. It
    // is refused while the stopped guest's last I/O has its status pending:
    // the guest then runs a moment and is stopped again.
    auto img = ckd::CkdImage::Open(image, false);
    if (img.ok() && img->compressed()) {
      // The file Hercules has open, by name (`devlist`): devinit without a
      // file name would reuse the device's saved operands, which Hercules
      // 3.13 has altered in place (`cu=3990` became `cu`), and fail.
      char list[32];
      std::snprintf(list, sizeof list, "devlist %04X", params->device);
      auto l = console.Command(list);
      if (!l.ok()) return ConsoleError(port, l.status());
      std::string file;
      {
        char dev[16];
        std::snprintf(dev, sizeof dev, "%04X 3390 ", params->device);
        size_t at = l->find(dev);
        if (at == std::string::npos) {
          std::snprintf(dev, sizeof dev, "%04X 3380 ", params->device);
          at = l->find(dev);
        }
        if (at != std::string::npos) {
          at += std::strlen(dev);
          file = l->substr(at, l->find_first_of(" \n", at) - at);
        }
      }
      if (file.empty()) {
        std::fprintf(stderr, "PAS684E ACKNOWLEDGED GUEST WRITES ARE MISSING ON %s: Hercules does not list device "
                             "%04X\n",
                     image.c_str(), params->device);
        return kFailed;
      }
      const std::string cmd_text = "devinit " + std::string(list + 8) + " " + file;
      const char* cmd = cmd_text.c_str();
      bool flushed = false;
      for (int attempt = 0; attempt < 200 && !flushed; ++attempt) {
        auto r = console.Command(cmd);
        if (!r.ok()) return ConsoleError(port, r.status());
        flushed = r->find("HHCPN098I") != std::string::npos;
        if (flushed) break;
        (void)console.Command("start");
        std::this_thread::sleep_for(std::chrono::milliseconds(1 + attempt % 7));
        auto s = console.Command("stop");
        if (!s.ok()) return ConsoleError(port, s.status());
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      if (!flushed) {
        std::fprintf(stderr, "PAS684E ACKNOWLEDGED GUEST WRITES ARE MISSING ON %s: Hercules did not write back "
                             "its cached tracks (devinit %04X refused)\n",
                     image.c_str(), params->device);
        return kFailed;
      }
    }
  }
  auto c = console.ReadCounters();
  if (!c.ok()) return ConsoleError(port, c.status());
  PrintCounters(port, *c);
  if (!c->started) {
    std::fprintf(stderr, "PAS684E ACKNOWLEDGED GUEST WRITES ARE MISSING ON %s: the guest has not run\n", image.c_str());
    return kFailed;
  }
  auto seqs = hercules::ReadGuestSequences(image, *params, c->run_id);
  if (!seqs.ok()) {
    std::fprintf(stderr, "PAS684E ACKNOWLEDGED GUEST WRITES ARE MISSING ON %s: %s\n", image.c_str(),
                 seqs.status().message().c_str());
    return kFailed;
  }
  if (pit) {
    auto k = hercules::CheckPointInTime(*seqs);
    if (!k.ok() || *k > c->seq) {
      std::fprintf(stderr, "PAS684E ACKNOWLEDGED GUEST WRITES ARE MISSING ON %s: %s\n", image.c_str(),
                   k.ok() ? "not a point-in-time copy: it holds writes the guest has not started"
                          : k.status().message().c_str());
      return kFailed;
    }
    std::printf("PAS687I %s IS THE GUEST'S VOLUME AFTER EXACTLY %u WRITES (TRACKS %u-%u)\n", image.c_str(), *k,
                params->first_track, params->first_track + params->tracks - 1);
    return 0;
  }
  std::string problems = hercules::CheckAfterStop(*seqs, c->writes);
  if (!problems.empty()) {
    std::fprintf(stderr, "PAS684E ACKNOWLEDGED GUEST WRITES ARE MISSING ON %s: %s\n", image.c_str(), problems.c_str());
    return kFailed;
  }
  std::printf("PAS685I EVERY ONE OF THE %u WRITES THE GUEST SAW COMPLETE IS ON %s (TRACKS %u-%u)\n", c->writes,
              image.c_str(), params->first_track, params->first_track + params->tracks - 1);
  return c->errors == 0 ? 0 : 4;
}

int GuestCommand(int argc, char** argv) {
  const std::string sub = argc > 1 ? argv[1] : "";
  if (sub == "install") return Install(argc - 1, argv + 1);
  if (sub == "show") return Show(argc - 1, argv + 1);
  if (sub == "verify") return Verify(argc - 1, argv + 1);
  if (sub == "help" || sub == "--help" || sub == "-h") {
    std::printf(
        "usage: pas guest install DIR [options]    write guest.bin, guest-params.bin, guest.ins\n"
        "       pas guest show --port N            the running guest's counters\n"
        "       pas guest verify IMAGE --port N    stop the guest, check every completed write is on IMAGE\n"
        "       pas guest verify IMAGE --port N --point-in-time\n\n"
        "The ESA/390 test guest writes sequence-numbered records to one 3390 under Hercules;\n"
        "N is the HTTPPORT of that Hercules. See doc/hercules-guest.md.\n");
    return 0;
  }
  return Usage("expected install, show or verify (see pas guest help)");
}

}  // namespace

PAS_COMMAND("guest", "the ESA/390 test guest under Hercules: install, show, verify", GuestCommand);

}  // namespace pas::cli
