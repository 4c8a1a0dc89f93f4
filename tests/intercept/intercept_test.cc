// The preload intercept and `pas exec` with real processes: a plain
// program (tests/intercept/image_writer) run under `pas exec` writes an
// image the way Hercules does and with every other call a program may use;
// the dirty marks, the quiesce, a real SWAP by `pas run` under it (its
// descriptor moves in place, nothing it wrote is lost), the configuration
// rewrite after the swap, the Hercules tools under `pas exec`.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "ckd/image.h"
#include "ckd/track.h"
#include "host/online_registry.h"
#include "system/swap_fixture.h"
#include "workload/area.h"
#include "workload/record.h"

namespace pas::swaptest {
namespace {

using pas::testing::ReadFile;

struct SpecTrack {
  uint32_t track;
  uint64_t offset;  // of 16 bytes inside R1's data
};

class InterceptTest : public SwapFixture {
 protected:
  void SetUp() override {
    source_ = MakeSourceVolume("src.ckd", "VOLX01");
    target_ = MakeEmptyVolume("tgt.ckd", "TGT001");
    config_ = WriteConfig();
    spec_ = PrepareTracks(source_);
    spec_path_ = dir_ / "spec";
    std::string text;
    for (const auto& s : spec_) text += std::to_string(s.track) + " " + std::to_string(s.offset) + "\n";
    WriteFile(spec_path_, text);
  }

  // The shared Hercules / pas form: pas-only statements behind "#PAS ".
  std::string WriteConfig() {
    std::string path = dir_ / "sysa.cnf";
    WriteFile(path,
              "# Hercules and pas read this file\n"
              "CPUSERIAL 012345\n"
              "LPARNAME SYSA\n"
              "MAINSIZE 16\n"
              "0A80 3390 " + source_ + " cu=3990\n"
              "#PAS 0B80 3390 " + target_ + "\n"
              "#PAS OFFLINE 0B80\n");
    return path;
  }

  // Workload tracks formatted with records; the writer updates 16 bytes
  // inside R1's data, so every track stays a valid CKD track.
  std::vector<SpecTrack> PrepareTracks(const std::string& image) {
    auto img = ckd::CkdImage::Open(image, true);
    EXPECT_TRUE(img.ok());
    auto area = workload::ResolveArea(*img, std::nullopt);
    EXPECT_TRUE(area.ok()) << area.status().ToString();
    std::vector<SpecTrack> out;
    std::vector<uint8_t> slot(img->slot_size());
    for (const auto& [first, last] : area->ranges) {
      for (uint32_t t = first; t <= last && out.size() < 40; ++t) {
        workload::WriteId id{1, workload::SystemNameHash("SYSA"), t, 1};
        EXPECT_TRUE(workload::BuildWorkloadTrack(img->geometry(), id, slot).ok());
        EXPECT_TRUE(img->WriteTrack(t, slot).ok());
        auto parsed = ckd::ParseTrack(slot, img->geometry(), t);
        EXPECT_TRUE(parsed.ok() && !parsed->records.empty());
        const auto& r1 = parsed->records.front();
        out.push_back({t, static_cast<uint64_t>(r1.data.data() - slot.data()) + 64});
      }
    }
    return out;
  }

  std::vector<std::string> Exec(std::vector<std::string> program) {
    std::vector<std::string> args = {"exec", "--config", config_, "--"};
    args.insert(args.end(), program.begin(), program.end());
    return args;
  }

  std::set<uint32_t> Harvest() {
    ProcessResult r = Pas({"intercept", "harvest", "0A80", "--config", config_});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    std::set<uint32_t> tracks;
    size_t colon = r.out.find("HARVESTED: ");
    if (colon == std::string::npos) return tracks;
    std::istringstream in(r.out.substr(colon + 11));
    std::string t;
    while (std::getline(in, t, ',')) tracks.insert(static_cast<uint32_t>(std::stoul(t)));
    return tracks;
  }

  struct WriterResult {
    std::map<uint32_t, uint64_t> last;
    int fd_start = -1, fd_end = -2;
    uint64_t ino = 0, writes = 0, errors = 0;
    int64_t max_gap_us = 0;
  };
  WriterResult ReadWriterOut(const std::string& path) {
    WriterResult w;
    std::ifstream in(path);
    std::string first;
    while (in >> first) {
      if (first == "stats") {
        in >> w.fd_start >> w.fd_end >> w.ino >> w.writes >> w.errors >> w.max_gap_us;
      } else {
        uint64_t v;
        in >> v;
        w.last[static_cast<uint32_t>(std::stoul(first))] = v;
      }
    }
    return w;
  }

  // The 16 bytes every track of the spec holds in `image`: value, track.
  void ExpectLastWrites(const std::string& image, const WriterResult& w) {
    auto img = ckd::CkdImage::Open(image, false);
    ASSERT_TRUE(img.ok());
    std::vector<uint8_t> slot(img->slot_size());
    int checked = 0;
    for (const SpecTrack& s : spec_) {
      ASSERT_TRUE(img->ReadTrack(s.track, slot).ok());
      uint64_t value, track;
      std::memcpy(&value, slot.data() + s.offset, 8);
      std::memcpy(&track, slot.data() + s.offset + 8, 8);
      ASSERT_TRUE(w.last.count(s.track));
      if (w.last.at(s.track) == 0) continue;  // never written
      EXPECT_EQ(value, w.last.at(s.track)) << "track " << s.track << " lost its last acknowledged write";
      EXPECT_EQ(track, s.track);
      ++checked;
    }
    EXPECT_GT(checked, 10);
  }

  static uint64_t Ino(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
  }

  std::string source_, target_, config_, spec_path_;
  std::vector<SpecTrack> spec_;
};

TEST_F(InterceptTest, ExecRunsAProgramUnchangedAndReportsItsErrors) {
  ProcessResult r = Pas(Exec({"sh", "-c", "echo hello; exit 7"}));
  EXPECT_EQ(r.exit_code, 7) << r.err;
  EXPECT_EQ(r.out, "hello\n");
  r = Pas({"exec", "--config", dir_ / "missing.cnf", "--", "true"});
  EXPECT_EQ(r.exit_code, 12);
  EXPECT_TRUE(Contains(r.err, "PAS171E")) << r.err;
  r = Pas(Exec({"true"}), "", {"PAS_INTERCEPT_LIB=" + (dir_ / "none.so")});
  EXPECT_EQ(r.exit_code, 12);
  EXPECT_TRUE(Contains(r.err, "PAS210E")) << r.err;
  r = Pas({"exec", "--config", config_});
  EXPECT_EQ(r.exit_code, 12);
  EXPECT_TRUE(Contains(r.err, "PAS003E")) << r.err;
  r = Pas(Exec({dir_ / "no-such-program"}));
  EXPECT_EQ(r.exit_code, 12);
  EXPECT_TRUE(Contains(r.err, "PAS211E")) << r.err;
  // An existing LD_PRELOAD is kept, the library appended.
  r = Pas(Exec({"sh", "-c", "echo $LD_PRELOAD"}), "", {"LD_PRELOAD=libc.so.6"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("libc.so.6:", 0), 0u) << r.out;
  EXPECT_TRUE(Contains(r.out, "libpas-intercept.so")) << r.out;
}

TEST_F(InterceptTest, HerculesToolsReadAnImageOfTheSystem) {
  ProcessResult r = Pas(Exec({"dasdls", source_}));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out + r.err, "VOLSER=VOLX01")) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out + r.err, "PAS.WORKLOAD")) << r.out << r.err;
  // It opened the image as a process of SYSA: the registry exists.
  EXPECT_TRUE(std::filesystem::exists(host::RegistryPath(source_)));
  // The target (an offline unit) is read untracked: dasdls reads its label
  // track (it has no VTOC) and nothing registers.
  r = Pas(Exec({"dasdls", target_}));
  EXPECT_TRUE(Contains(r.out + r.err, "F4DSCB record not found")) << r.out << r.err;
  EXPECT_FALSE(Contains(r.out + r.err, "PAS21")) << r.out << r.err;
  EXPECT_FALSE(std::filesystem::exists(host::RegistryPath(target_)));
}

TEST_F(InterceptTest, WriteOpenOfAnOfflineUnitsImageIsRefused) {
  std::unique_ptr<Child> w = Start(Exec({IMAGE_WRITER_BINARY, "write", target_, spec_path_, "1", "1",
                                         dir_ / "out"}),
                                   "offline-writer");
  EXPECT_EQ(w->Wait(60), 1);
  EXPECT_TRUE(Contains(w->Stderr(), "PAS214E UNIT 0B80")) << w->Stderr();
  EXPECT_TRUE(Contains(w->Stderr(), "Device or resource busy")) << w->Stderr();
}

// A compressed image is written live only by a program the intercept can
// make reopen the unit at a swap (Hercules): any other program's write open
// is refused; its read-only open passes.
TEST_F(InterceptTest, WriteOpenOfACompressedImageByAnotherProgramIsRefused) {
  const std::string cckd = dir_ / "src.cckd";
  ProcessResult c = Pas({"volume", "copy", source_, cckd, "--compress", "zlib"});
  ASSERT_EQ(c.exit_code, 0) << c.out << c.err;
  config_ = dir_ / "sysc.cnf";
  WriteFile(config_, "CPUSERIAL 012346\nLPARNAME SYSC\n0A81 3390 " + cckd + "\n");
  const std::string before = pas::testing::ReadFile(cckd);
  std::unique_ptr<Child> w =
      Start(Exec({IMAGE_WRITER_BINARY, "write", cckd, spec_path_, "1", "1", dir_ / "out"}), "cckd-writer");
  EXPECT_EQ(w->Wait(60), 1);
  EXPECT_TRUE(Contains(w->Stderr(), "PAS215E UNIT 0A81: WRITE OPEN OF ITS COMPRESSED (CCKD) IMAGE REFUSED"))
      << w->Stderr();
  EXPECT_TRUE(Contains(w->Stderr(), "Operation not supported")) << w->Stderr();
  EXPECT_TRUE(pas::testing::ReadFile(cckd) == before) << "the compressed image changed";
  ProcessResult ls = Pas(Exec({"dasdls", cckd}));
  EXPECT_EQ(ls.exit_code, 0) << ls.out << ls.err;
  EXPECT_TRUE(Contains(ls.out, "PAS.WORKLOAD")) << ls.out;
}

TEST_F(InterceptTest, EveryKindOfWriteMarksItsTracks) {
  ProcessResult r = Pas({"intercept", "install", "0A80", "--config", config_});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  // Through a symlink and a relative path.
  const std::string link = dir_ / "link.ckd";
  std::filesystem::create_symlink(source_, link);
  const std::string relative = std::filesystem::relative(source_).string();
  std::unique_ptr<Child> f =
      Start(Exec({IMAGE_WRITER_BINARY, "features", link, relative, spec_path_}), "features");
  EXPECT_EQ(f->Wait(60), 0) << f->Stdout() << f->Stderr();
  EXPECT_TRUE(Contains(f->Stderr(), "PAS213E MMAP OF THE IMAGE OF UNIT 0A80")) << f->Stderr();
  const uint32_t a = spec_[0].track, b = spec_[2].track, c = spec_[4].track, d = spec_[5].track;
  EXPECT_EQ(Harvest(), (std::set<uint32_t>{a, a + 1, b, b + 1, c, d}));
  // Without the intercept nothing is marked.
  r = Pas({"intercept", "remove", "0A80", "--config", config_});
  ASSERT_EQ(r.exit_code, 0);
  f = Start(Exec({IMAGE_WRITER_BINARY, "features", link, relative, spec_path_}), "features2");
  EXPECT_EQ(f->Wait(60), 0) << f->Stdout();
  EXPECT_TRUE(Harvest().empty());
  // Nothing of the volume's structure was touched.
  EXPECT_TRUE(Contains(Dasdls(source_), "PAS.WORKLOAD"));
}

TEST_F(InterceptTest, QuiesceHoldsTheProgramsIoAndResumesIt) {
  std::unique_ptr<Child> w = Start(
      Exec({IMAGE_WRITER_BINARY, "write", source_, spec_path_, "5", "3", dir_ / "out"}), "writer");
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  ProcessResult q = Pas({"intercept", "quiesce", "0A80", "--hold", "1.5", "--config", config_});
  EXPECT_EQ(q.exit_code, 0) << q.out << q.err;
  EXPECT_TRUE(Contains(q.out, "PAS187I UNIT 0A80 QUIESCED")) << q.out;
  ASSERT_EQ(w->Wait(60), 0) << w->Stderr();
  WriterResult res = ReadWriterOut(dir_ / "out");
  EXPECT_EQ(res.errors, 0u);
  EXPECT_GT(res.writes, 100u);
  // The program's writes were held for the quiesce, then went on.
  EXPECT_GE(res.max_gap_us, 1'200'000) << "the writer was not held";
  ExpectLastWrites(source_, res);
}

TEST_F(InterceptTest, SwapMovesTheProgramsDescriptorInPlaceAndLosesNothing) {
  std::unique_ptr<Child> w = Start(
      Exec({IMAGE_WRITER_BINARY, "write", source_, spec_path_, "8", "3", dir_ / "out"}), "writer");
  std::this_thread::sleep_for(std::chrono::milliseconds(2000));
  ProcessResult r = RunDeck(config_, "  SWAP TYPE=FULL\n  MOUNT VOL=VOLX01,SWAPUNIT=0B80\n");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, "PAS234I SYSA")) << r.out;  // the program's system joined
  EXPECT_TRUE(Contains(r.out, "PAS241I")) << r.out;
  ASSERT_EQ(w->Wait(60), 0) << w->Stderr();
  WriterResult res = ReadWriterOut(dir_ / "out");
  EXPECT_EQ(res.errors, 0u) << "the program saw an error";
  EXPECT_EQ(res.fd_start, res.fd_end);
  EXPECT_EQ(res.ino, Ino(target_)) << "the descriptor is not on the target image";
  EXPECT_GT(res.writes, 100u);
  ExpectLastWrites(target_, res);
  // The configuration tells the truth: 0A80 names the target, 0B80 the old
  // source; the previous file is kept; the unit table agrees.
  const std::string cfg = ReadFile(config_);
  EXPECT_TRUE(Contains(cfg, "0A80 3390 " + target_ + " cu=3990\n")) << cfg;
  EXPECT_TRUE(Contains(cfg, "#PAS 0B80 3390 " + source_ + "\n")) << cfg;
  EXPECT_TRUE(Contains(ReadFile(config_ + ".prev"), "0A80 3390 " + source_ + " cu=3990\n"));
  EXPECT_TRUE(Contains(r.out, "PAS216I")) << r.out;
  EXPECT_TRUE(Contains(DisplayLine(config_, "0A80"), target_)) << DisplayLine(config_, "0A80");
  EXPECT_TRUE(Contains(DisplayLine(config_, "0B80"), source_)) << DisplayLine(config_, "0B80");
  // A second SWAP (back onto the relabelled old source) works with it.
  r = RunDeck(config_, "  SWAP TYPE=FULL\n  MOUNT VOL=VOLX01,SWAPUNIT=0B80\n");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(Contains(ReadFile(config_), "0A80 3390 " + source_ + " cu=3990\n"));
  EXPECT_EQ(Volser(source_), "VOLX01");
}

// A free TCP port on the loopback (bound and released).
int FreePort() {
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    ::close(s);
    return -1;
  }
  ::close(s);
  return ntohs(a.sin_port);
}

// A Hercules console command over its HTTP server; the reply page ("" when
// the server does not answer).
std::string HerculesCommand(int port, const std::string& command) {
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(s);
    return "";
  }
  const std::string req = "GET /cgi-bin/tasks/cmd?cmd=" + command + " HTTP/1.0\r\n\r\n";
  (void)!::write(s, req.data(), req.size());
  std::string reply;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(s, buf, sizeof buf)) > 0) reply.append(buf, static_cast<size_t>(n));
  ::close(s);
  return reply;
}

TEST_F(InterceptTest, HerculesLoadsTheSharedConfigurationAndOpensTheImageThroughTheIntercept) {
  const int port = FreePort();
  ASSERT_GT(port, 0);
  // The same file: Hercules statements (before the device statements, as
  // Hercules wants them), pas-only statements behind #PAS.
  std::string text = ReadFile(config_);
  text.insert(text.find("0A80 3390"), "NUMCPU 1\nHTTPPORT " + std::to_string(port) + " NOAUTH\n");
  WriteFile(config_, text);
  std::unique_ptr<Child> h = Start(Exec({"hercules", "-f", config_, "-d"}), "hercules");
  std::string devlist;
  for (int i = 0; i < 300 && h->Running(); ++i) {
    devlist = HerculesCommand(port, "devlist");
    if (Contains(devlist, "0A80 3390")) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(Contains(devlist, "0A80 3390 " + source_)) << devlist << h->Stdout() << h->Stderr();
  EXPECT_FALSE(Contains(devlist, "0B80")) << "Hercules must not see the #PAS unit";
  EXPECT_FALSE(Contains(h->Stdout() + h->Stderr(), "HHCCF036S")) << h->Stdout();
  // Hercules opened the image as a process of SYSA.
  auto online = host::ListOnlineSystems(source_);
  ASSERT_TRUE(online.ok());
  ASSERT_EQ(online->size(), 1u);
  EXPECT_EQ(online->front().name, "SYSA");
  EXPECT_EQ(online->front().devnum, 0x0A80);
  HerculesCommand(port, "quit");
  EXPECT_EQ(h->Wait(60), 0) << h->Stdout();
  // pas reads the same file: 0B80 is its offline target unit.
  EXPECT_TRUE(Contains(DisplayLine(config_, "0B80"), "OFFLINE")) << DisplayLine(config_, "0B80");
}

}  // namespace
}  // namespace pas::swaptest
