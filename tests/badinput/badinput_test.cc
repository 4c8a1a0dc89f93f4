// The bad-input catalogue: hand-written hostile decks, configurations and
// images fed to the real commands (pas run, pas display, pas volume
// info|compare, pas workload verify, calcdasd). Each case asserts that the
// command names the fault with its message ID, ends with its documented
// non-zero exit status, does not crash (no exit by signal, no timeout) and
// changes no byte of any file in its scratch directory (every file is
// hashed before and after; only the state directory may change).
//
// Every case starts from the same small world, built in-process:
//   src.ckd     3390, 10 cylinders, VOL1 SRC001, VTOC, data set PAS.TEST.DATA
//   tgt.ckd     3390, 10 cylinders, VOL1 TGT001, no VTOC
//   system.cnf  LPARNAME SYSA; 1887 -> src.ckd; B887 -> tgt.ckd (OFFLINE)
//   good.deck   SIMSWAP TYPE=FULL / MOUNT VOL=SRC001,SWAPUNIT=B887
//   journal.w0  a workload journal header for unit 1887
// then breaks one thing and runs one command. Arguments written "{D}" are
// the scratch directory.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "ckd/cckd.h"
#include "ckd/device.h"
#include "ckd/dscb.h"
#include "ckd/image.h"
#include "ckd/label.h"
#include "ckd/track.h"
#include "ckd/volume.h"
#include "test_util.h"
#include "workload/journal.h"
#include "workload/share.h"
#include <sys/wait.h>

namespace pas {
namespace {

namespace fs = std::filesystem;
using testing::ReadFile;
using testing::ScratchDir;
using testing::WriteFile;

constexpr uint32_t kCylinders = 10;
constexpr const char* kGoodConfig =
    "LPARNAME SYSA\n"
    "1887 3390 src.ckd\n"
    "B887 3390 tgt.ckd\n"
    "OFFLINE B887\n";
constexpr const char* kGoodDeck =
    "SIMSWAP TYPE=FULL\n"
    "MOUNT VOL=SRC001,SWAPUNIT=B887\n";

// ---- The world every case starts from ----

void MakeVolume(const std::string& path, const char* volser, bool vtoc, bool dataset) {
  auto img = ckd::CkdImage::Create(path, ckd::k3390Geometry, kCylinders, false);
  ASSERT_OK(img);
  ASSERT_OK(ckd::FormatVolume(*img, volser, vtoc));
  if (dataset) {
    ckd::DataSetSpec spec;
    spec.name = "PAS.TEST.DATA";
    spec.tracks = 3;
    spec.records = 40;
    ASSERT_OK(ckd::AddDataSet(*img, spec));
  }
  ASSERT_OK(img->Sync());
}

void BuildWorld(const ScratchDir& d) {
  MakeVolume(d / "src.ckd", "SRC001", true, true);
  MakeVolume(d / "tgt.ckd", "TGT001", false, false);
  WriteFile(d / "system.cnf", kGoodConfig);
  WriteFile(d / "good.deck", kGoodDeck);
  workload::JournalHeader h{.system = "SYSA", .system_hash = 1, .unit = "1887", .writer = 0,
                            .total_writers = 1, .first_track = 30, .last_track = 60,
                            .image = d / "src.ckd"};
  auto j = workload::JournalWriter::Open(d / "journal.w0", h);
  ASSERT_OK(j);
  fs::create_directory(d / "state");
}

// ---- Ways to break things ----

void Patch(const std::string& path, uint64_t offset, const std::string& bytes) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  ASSERT_TRUE(f.good()) << path;
  f.seekp(static_cast<std::streamoff>(offset));
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(f.good()) << path;
}

void Truncate(const std::string& path, uint64_t size) {
  ASSERT_EQ(::truncate(path.c_str(), static_cast<off_t>(size)), 0) << path;
}

std::string Le32(uint32_t v) {
  std::string s(4, '\0');
  for (int i = 0; i < 4; ++i) s[i] = static_cast<char>(v >> (8 * i));
  return s;
}

std::string Be16(uint32_t v) { return std::string{static_cast<char>(v >> 8), static_cast<char>(v)}; }

uint64_t SlotOffset(uint32_t track) {
  return ckd::kDeviceHeaderSize + uint64_t{track} * ckd::k3390Geometry.slot_size;
}


// Replaces src.ckd by a compressed (CCKD, zlib) volume with the same
// contents as the world's, so the cases below break a compressed source.
// Returns the offsets the corruptions need.
struct CompressedSource {
  uint32_t l2pos = 0;  // L2 table of tracks 0-255
  uint32_t t1pos = 0;  // image of track 1 (the first VTOC track)
  uint32_t t1len = 0;
};
CompressedSource MakeCompressedSource(const ScratchDir& d) {
  fs::remove(d / "src.ckd");
  CompressedSource c;
  {
    auto img = ckd::CkdImage::CreateCompressed(d / "src.ckd", ckd::k3390Geometry, kCylinders,
                                               ckd::Compression::kZlib);
    EXPECT_OK(img);
    if (!img.ok()) return c;
    EXPECT_OK(ckd::FormatVolume(*img, "SRC001", true));
    ckd::DataSetSpec spec;
    spec.name = "PAS.TEST.DATA";
    spec.tracks = 3;
    spec.records = 40;
    EXPECT_OK(ckd::AddDataSet(*img, spec));
    EXPECT_OK(img->Sync());
  }
  const std::string bytes = ReadFile(d / "src.ckd");
  auto le = [&](size_t off, size_t n) {
    uint32_t v = 0;
    for (size_t i = 0; i < n; ++i) v |= uint32_t{static_cast<uint8_t>(bytes[off + i])} << (8 * i);
    return v;
  };
  c.l2pos = le(ckd::kCckdL1Offset, 4);
  c.t1pos = le(c.l2pos + 8, 4);
  c.t1len = le(c.l2pos + 12, 2);
  return c;
}

// Calls fn(slot) on one track of a 3390 image and writes the slot back.
void EditTrack(const std::string& path, uint32_t track,
               const std::function<void(std::vector<uint8_t>&)>& fn) {
  auto img = ckd::CkdImage::Open(path, true);
  ASSERT_OK(img);
  std::vector<uint8_t> slot(img->slot_size());
  ASSERT_OK(img->ReadTrack(track, slot));
  fn(slot);
  ASSERT_OK(img->WriteTrack(track, slot));
}

// Offset in the slot of the count field of the first record satisfying
// `pred`, or -1.
long FindRecord(const std::vector<uint8_t>& slot, uint32_t track,
                const std::function<bool(const ckd::RecordView&)>& pred) {
  auto t = ckd::ParseTrack(slot, ckd::k3390Geometry, track);
  if (!t.ok()) return -1;
  for (const auto& r : t->records) {
    if (pred(r)) {
      const uint8_t* first = r.key.empty() ? r.data.data() : r.key.data();
      return static_cast<long>(first - slot.data()) - static_cast<long>(ckd::kCountSize);
    }
  }
  return -1;
}

// Edits the 140-byte DSCB (key + data) whose format byte is `format`
// (the first on the VTOC tracks 1-4 of src.ckd).
void EditDscb(const ScratchDir& d, uint8_t format,
              const std::function<void(uint8_t* dscb)>& fn) {
  for (uint32_t t = 1; t <= 4; ++t) {
    bool done = false;
    EditTrack(d / "src.ckd", t, [&](std::vector<uint8_t>& slot) {
      long c = FindRecord(slot, t, [&](const ckd::RecordView& r) {
        return r.key.size() == ckd::dscb::kKeyLength && r.data.size() == ckd::dscb::kDataLength &&
               r.data[0] == format;
      });
      if (c < 0) return;
      fn(slot.data() + c + ckd::kCountSize);
      done = true;
    });
    if (done) return;
  }
  FAIL() << "no format " << std::hex << int{format} << " DSCB on the VTOC tracks";
}

// Edits VOL1's 80 data bytes on track 0.
void EditVol1(const ScratchDir& d, const std::function<void(std::vector<uint8_t>&, long data)>& fn) {
  EditTrack(d / "src.ckd", 0, [&](std::vector<uint8_t>& slot) {
    long c = FindRecord(slot, 0, [](const ckd::RecordView& r) { return r.rec == 3; });
    ASSERT_GE(c, 0);
    fn(slot, c + ckd::kCountSize + 4);  // VOL1 has a 4-byte key
  });
}

// A valid device header with one field changed.
void PatchHeaderField(const std::string& path, uint64_t offset, const std::string& bytes) {
  Patch(path, offset, bytes);
}

// ---- The catalogue ----

struct BadInput {
  const char* name;
  std::function<void(const ScratchDir&)> prepare;  // breaks one thing
  std::vector<std::string> argv;                   // "{D}" is the scratch directory
  const char* id;                                  // the message ID that must appear
  int exit_code;                                   // the documented exit status
  std::string stdin_text = "";
};

// gtest names a failing case by this instead of dumping its bytes.
void PrintTo(const BadInput& b, std::ostream* os) { *os << b.name; }

void Nothing(const ScratchDir&) {}
std::function<void(const ScratchDir&)> Deck(std::string text) {
  return [text](const ScratchDir& d) { WriteFile(d / "bad.deck", text); };
}
std::function<void(const ScratchDir&)> Config(std::string text) {
  return [text](const ScratchDir& d) { WriteFile(d / "bad.cnf", text); };
}
const std::vector<std::string> kRunBadDeck = {"{pas}", "run", "{D}/bad.deck", "--config",
                                              "{D}/system.cnf", "--state-dir", "{D}/state"};
const std::vector<std::string> kRunBadConfig = {"{pas}", "run", "{D}/good.deck", "--config",
                                                "{D}/bad.cnf", "--state-dir", "{D}/state"};
const std::vector<std::string> kDisplayBadConfig = {"{pas}", "display", "--config",
                                                    "{D}/bad.cnf"};
const std::vector<std::string> kCalcdasdBadConfig = {"{calcdasd}", "--config", "{D}/bad.cnf",
                                                     "--state-dir", "{D}/state"};
const std::vector<std::string> kInfoSrc = {"{pas}", "volume", "info", "{D}/src.ckd"};
const std::vector<std::string> kCompareSrcTgt = {"{pas}", "volume", "compare", "{D}/tgt.ckd",
                                                 "{D}/src.ckd"};
const std::vector<std::string> kCalcdasdGood = {"{calcdasd}", "--config", "{D}/system.cnf",
                                                "--state-dir", "{D}/state"};
const std::vector<std::string> kVerifySrc = {"{pas}", "workload", "verify", "--journal",
                                             "{D}/journal.w0", "--image", "{D}/src.ckd"};
const std::vector<std::string> kSimswapGood = {"{pas}", "run", "{D}/good.deck", "--config",
                                               "{D}/system.cnf", "--state-dir", "{D}/state"};

constexpr const char* kSwapDeck = "SWAP TYPE=FULL\nMOUNT VOL=SRC001,SWAPUNIT=B887\n";
constexpr const char* kSwapDumpDeck = "SWAPDUMP TYPE=FULL\nMOUNT VOL=SRC001,SWAPUNIT=B887\n";

// Splits the single-file image `name` (10 cylinders) into the two-file set
// PREFIX_1.ckd (cylinders 0-4) and PREFIX_2.ckd (5-9), as Hercules names
// and heads them, and removes the single file.
void SplitIntoSet(const ScratchDir& d, const std::string& name, const std::string& prefix) {
  const std::string bytes = ReadFile(d / name);
  const uint64_t half = uint64_t{5} * 15 * ckd::k3390Geometry.slot_size;
  std::string header = bytes.substr(0, ckd::kDeviceHeaderSize);
  std::string first = header, second = header;
  first[17] = 1;  // fileseq
  first[18] = 4;  // highcyl
  second[17] = 2;
  second[18] = 0;
  WriteFile(d / (prefix + "_1.ckd"), first + bytes.substr(ckd::kDeviceHeaderSize, half));
  WriteFile(d / (prefix + "_2.ckd"), second + bytes.substr(ckd::kDeviceHeaderSize + half));
  fs::remove(d / name);
}

// Makes the scratch folder shared like /tmp (world-writable, sticky) and
// creates `victim`, an empty root-owned file a planted link points at.
void SharedFolder(const ScratchDir& d) {
  ASSERT_EQ(::chmod(d.path().c_str(), 01777), 0);
  WriteFile(d / "victim", "");
}

// Runs argv as the user nobody (setpriv); the case fails loudly if it cannot.
void AsNobody(const std::vector<std::string>& argv) {
  std::vector<std::string> cmd = {"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"};
  cmd.insert(cmd.end(), argv.begin(), argv.end());
  testing::ProcessResult r = testing::Run(cmd, "", {}, 30);
  ASSERT_EQ(r.exit_code, 0) << "planting as nobody failed (the test needs root and setpriv): " << r.out
                            << r.err;
}

constexpr char kNulDeck[] = "SWAP TYPE=FULL\0\nMOUNT VOL=SRC001,SWAPUNIT=B887\n";

// A workload run of unit 1887 of the world's system.
const std::vector<std::string> kWorkloadRun = {"{pas}", "workload", "run", "--unit", "1887",
                                               "--writes", "5", "--journal", "{D}/wj",
                                               "--config", "{D}/system.cnf"};

// Fills the free space of src.ckd with another data set, so that
// PAS.WORKLOAD has no room.
void FillSourceVolume(const ScratchDir& d) {
  auto img = ckd::CkdImage::Open(d / "src.ckd", true);
  ASSERT_OK(img);
  auto vtoc = ckd::ReadVtoc(*img);
  ASSERT_OK(vtoc);
  ckd::DataSetSpec spec;
  spec.name = "PAS.TEST.FILLER";
  spec.tracks = vtoc->free_tracks();
  ASSERT_OK(ckd::AddDataSet(*img, spec));
  ASSERT_OK(img->Sync());
}

// Gives src.ckd a PAS.WORKLOAD and starts a process that holds a running
// workload's share claim of system SYSB over it (one system of 4 writers
// on tracks 1-149) until the scratch directory is removed: a run of SYSA
// on the volume would overlap it. The process is a grandchild, reaped by
// init.
void HoldOverlappingShare(const ScratchDir& d) {
  {
    auto img = ckd::CkdImage::Open(d / "src.ckd", true);
    ASSERT_OK(img);
    ckd::DataSetSpec spec;
    spec.name = workload::kWorkloadDataSet;
    spec.tracks = 30;
    ASSERT_OK(ckd::AddDataSet(*img, spec));
    ASSERT_OK(img->Sync());
  }
  const std::string image = d / "src.ckd", held = d / "share.held", dir = d.path();
  std::fflush(nullptr);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    if (::fork() != 0) ::_exit(0);
    auto lock = workload::ClaimLock::Acquire(image);
    if (!lock.ok()) ::_exit(1);
    auto claim = workload::ShareClaim::Claim(
        *lock, workload::ShareRequest{.system = "SYSB", .systems = 1, .index = std::nullopt,
                                      .writers = 4, .first_track = 1, .last_track = 149});
    if (!claim.ok()) ::_exit(1);
    { auto unlock = std::move(*lock); }
    WriteFile(held, "held\n");
    for (int i = 0; i < 1200 && ::access(dir.c_str(), F_OK) == 0; ++i) ::usleep(50000);
    ::_exit(0);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  for (int i = 0; i < 200 && ::access(held.c_str(), F_OK) != 0; ++i) ::usleep(25000);
  ASSERT_EQ(::access(held.c_str(), F_OK), 0) << "the share holder did not start";
}

std::vector<BadInput> Catalogue() {
  const std::string deck_head = "SIMSWAP TYPE=FULL\n";
  std::vector<BadInput> c = {
      // ---- Decks (pas run) ----
      {"deck_unknown_statement", Deck("COPY TYPE=FULL\nMOUNT VOL=SRC001,SWAPUNIT=B887\n"),
       kRunBadDeck, "PAS303E", 12},
      {"deck_unknown_operand", Deck("SWAP TYPE=FULL,MAXTASK=3\nMOUNT VOL=SRC001,SWAPUNIT=B887\n"),
       kRunBadDeck, "PAS304E", 12},
      {"deck_bad_value", Deck("SWAP TYPE=FULL,LARGERSIZE=MAYBE\nMOUNT VOL=SRC001,SWAPUNIT=B887\n"),
       kRunBadDeck, "PAS305E", 12},
      {"deck_bad_type", Deck("SWAP TYPE=PARTIAL\nMOUNT VOL=SRC001,SWAPUNIT=B887\n"), kRunBadDeck,
       "PAS305E", 12},
      {"deck_maxtasks_zero", Deck("SWAP TYPE=FULL,MAXTASKS=0\nMOUNT VOL=SRC001,SWAPUNIT=B887\n"),
       kRunBadDeck, "PAS306E", 12},
      {"deck_maxtasks_huge",
       Deck("SWAP TYPE=FULL,MAXTASKS=99999999999999999999\nMOUNT VOL=SRC001,SWAPUNIT=B887\n"),
       kRunBadDeck, "PAS305E", 12},
      {"deck_missing_type", Deck("SWAP MAXTASKS=2\nMOUNT VOL=SRC001,SWAPUNIT=B887\n"),
       kRunBadDeck, "PAS307E", 12},
      {"deck_mount_first", Deck("MOUNT VOL=SRC001,SWAPUNIT=B887\nSWAP TYPE=FULL\n"), kRunBadDeck,
       "PAS308E", 12},
      {"deck_two_functions",
       Deck("SWAP TYPE=FULL\nSIMSWAP TYPE=FULL\nMOUNT VOL=SRC001,SWAPUNIT=B887\n"), kRunBadDeck,
       "PAS309E", 12},
      {"deck_duplicate_volume",
       Deck(deck_head + "MOUNT VOL=SRC001,SWAPUNIT=B887\nMOUNT VOL=SRC001,SWAPUNIT=B888\n"),
       kRunBadDeck, "PAS310E", 12},
      {"deck_duplicate_target",
       Deck(deck_head + "MOUNT VOL=SRC001,SWAPUNIT=B887\nMOUNT VOL=TGT001,SWAPUNIT=B887\n"),
       kRunBadDeck, "PAS311E", 12},
      {"deck_unit_not_hex", Deck(deck_head + "MOUNT VOL=SRC001,SWAPUNIT=XYZ\n"), kRunBadDeck,
       "PAS312E", 12},
      {"deck_unit_all_stars", Deck(deck_head + "MOUNT VOL=SRC001,SWAPUNIT=****\n"), kRunBadDeck,
       "PAS313E", 12},
      {"deck_ends_in_continuation", Deck(deck_head + "MOUNT VOL=SRC001,\n"), kRunBadDeck,
       "PAS314E", 12},
      {"deck_no_mount", Deck("SWAP TYPE=FULL\n"), kRunBadDeck, "PAS315E", 12},
      {"deck_missing_swapunit", Deck(deck_head + "MOUNT VOL=SRC001\n"), kRunBadDeck, "PAS317E",
       12},
      {"deck_duplicate_operand", Deck("SWAP TYPE=FULL,TYPE=FULL\nMOUNT VOL=SRC001,SWAPUNIT=B887\n"),
       kRunBadDeck, "PAS318E", 12},
      {"deck_blank_between_operands", Deck(deck_head + "MOUNT VOL=SRC001 SWAPUNIT=B887\n"),
       kRunBadDeck, "PAS319E", 12},
      {"deck_empty", Deck(""), kRunBadDeck, "PAS321E", 12},
      {"deck_comments_only", Deck("* nothing here\n\n*\n"), kRunBadDeck, "PAS321E", 12},
      {"deck_operand_of_other_function",
       Deck("SWAP TYPE=FULL,DYNMON=YES\nMOUNT VOL=SRC001,SWAPUNIT=B887\n"), kRunBadDeck, "PAS322E",
       12},
      {"deck_bad_volser", Deck(deck_head + "MOUNT VOL=TOOLONG1,SWAPUNIT=B887\n"), kRunBadDeck,
       "PAS323E", 12},
      {"deck_nul_byte", Deck(std::string(kNulDeck, sizeof kNulDeck - 1)),
       kRunBadDeck, "PAS301E", 12},
      {"deck_binary_file",
       [](const ScratchDir& d) { WriteFile(d / "bad.deck", ReadFile(d / "src.ckd").substr(0, 4096)); },
       kRunBadDeck, "PAS301E", 12},
      {"deck_line_too_long", Deck("SWAP TYPE=FULL," + std::string(5000, 'A') + "\n"), kRunBadDeck,
       "PAS302E", 12},
      {"deck_too_big",
       Deck(std::string(1100000, '*')),
       kRunBadDeck, "PAS302E", 12},
      {"deck_missing_file", Nothing, kRunBadDeck, "PAS332E", 12},
      {"deck_is_directory", [](const ScratchDir& d) { fs::create_directory(d / "bad.deck"); },
       kRunBadDeck, "PAS332E", 12},
      {"deck_on_stdin_bad", Nothing,
       {"{pas}", "run", "--config", "{D}/system.cnf", "--state-dir", "{D}/state"}, "PAS303E", 12,
       "FROB TYPE=FULL\n"},
      {"run_unknown_option", Nothing, {"{pas}", "run", "--frobnicate", "{D}/good.deck"}, "PAS003E",
       12},
      {"simswap_volume_not_found", Deck(deck_head + "MOUNT VOL=NOSUCH,SWAPUNIT=B887\n"),
       kRunBadDeck, "PAS316E", 8},
      {"simswap_target_not_defined", Deck(deck_head + "MOUNT VOL=SRC001,SWAPUNIT=C887\n"),
       kRunBadDeck, "PAS326E", 8},
      {"simswap_pattern_names_source", Deck(deck_head + "MOUNT VOL=SRC001,SWAPUNIT=18**\n"),
       kRunBadDeck, "PAS313E", 8},
      {"simswap_volser_on_two_units",
       [](const ScratchDir& d) {
         fs::copy_file(d / "src.ckd", d / "dup.ckd");
         WriteFile(d / "system.cnf", std::string(kGoodConfig) + "1888 3390 dup.ckd\n");
       },
       kSimswapGood, "PAS327E", 8},

      // ---- Configurations ----
      {"config_missing_file", Nothing, kDisplayBadConfig, "PAS150E", 12},
      {"config_is_directory", [](const ScratchDir& d) { fs::create_directory(d / "bad.cnf"); },
       kDisplayBadConfig, "PAS150E", 12},
      {"config_empty_file", Config(""), kCalcdasdBadConfig, "PAS160E", 12},
      {"config_no_lparname", Config("1887 3390 src.ckd\n"), kDisplayBadConfig, "PAS160E", 12},
      {"config_bad_system_name", Config("LPARNAME SYSTEM-NAME-TOO-LONG\n1887 3390 src.ckd\n"),
       kDisplayBadConfig, "PAS161E", 12},
      {"config_two_system_names", Config("LPARNAME SYSA\nSYSNAME SYSB\n1887 3390 src.ckd\n"),
       kCalcdasdBadConfig, "PAS162E", 12},
      {"config_unterminated_quote", Config("LPARNAME SYSA\n1887 3390 \"src.ckd\n"),
       kRunBadConfig, "PAS169E", 12},
      {"config_lparname_without_operand", Config("LPARNAME\n1887 3390 src.ckd\n"),
       kDisplayBadConfig, "PAS169E", 12},
      {"config_unknown_device_type", Config("LPARNAME SYSA\n1887 9999 src.ckd\n"),
       kDisplayBadConfig, "PAS152E", 12},
      {"config_unsupported_device_type", Config("LPARNAME SYSA\n1887 3350 src.ckd\n"),
       kCalcdasdBadConfig, "PAS153E", 12},
      {"config_shadow_files",
       Config("LPARNAME SYSA\n1887 3390 src.ckd sf=shadow_*.cckd\nB887 3390 tgt.ckd\nOFFLINE B887\n"),
       kRunBadConfig, "PAS111E", 8},
      {"config_bad_unit", Config("LPARNAME SYSA\n1887 3390 src.ckd\nOFFLINE GGGG\n"), kRunBadConfig,
       "PAS154E", 12},
      {"config_bad_cpuserial", Config("LPARNAME SYSA\nCPUSERIAL XYZ\n1887 3390 src.ckd\n"),
       kDisplayBadConfig, "PAS154E", 12},
      {"config_reversed_range", Config(std::string(kGoodConfig) + "OFFLINE B88F-B880\n"),
       kDisplayBadConfig, "PAS155E", 12},
      {"config_duplicate_unit", Config(std::string(kGoodConfig) + "1887 3390 tgt.ckd\n"),
       kCalcdasdBadConfig, "PAS156E", 12},
      {"config_offline_undefined_unit", Config(std::string(kGoodConfig) + "OFFLINE C000\n"),
       kDisplayBadConfig, "PAS157E", 12},
      {"config_bad_alloc_type", Config(std::string(kGoodConfig) + "ALLOC 1887 SWAP 1-5\n"),
       kCalcdasdBadConfig, "PAS158E", 12},
      {"config_bad_alloc_range", Config(std::string(kGoodConfig) + "ALLOC 1887 PAGE one-five\n"),
       kCalcdasdBadConfig, "PAS159E", 12},
      {"config_reversed_alloc_range", Config(std::string(kGoodConfig) + "ALLOC 1887 PAGE 9-2\n"),
       kRunBadConfig, "PAS155E", 12},
      {"config_binary_file",
       [](const ScratchDir& d) { WriteFile(d / "bad.cnf", ReadFile(d / "src.ckd").substr(0, 2048)); },
       kDisplayBadConfig, "PAS160E", 12},
      {"display_bad_unit_range", Nothing,
       {"{pas}", "display", "--config", "{D}/system.cnf", "--units", "ZZZZ"}, "PAS170E", 12},
      {"display_unit_not_defined", Nothing,
       {"{pas}", "display", "--config", "{D}/system.cnf", "--units", "C000"}, "PAS172E", 12},
      {"calcdasd_image_missing", [](const ScratchDir& d) { fs::remove(d / "tgt.ckd"); },
       kCalcdasdGood, "PAS401E", 8},
      {"calcdasd_image_corrupt", [](const ScratchDir& d) { Patch(d / "tgt.ckd", 0, "GARBAGE!"); },
       kCalcdasdGood, "PAS402E", 8},
      {"calcdasd_type_mismatch",
       [](const ScratchDir& d) {
         WriteFile(d / "system.cnf", "LPARNAME SYSA\n1887 3380 src.ckd\nB887 3390 tgt.ckd\n");
       },
       kCalcdasdGood, "PAS409E", 8},
      {"calcdasd_no_dasd",
       [](const ScratchDir& d) { WriteFile(d / "system.cnf", "LPARNAME SYSA\n0009 3215\n"); },
       kCalcdasdGood, "PAS407E", 12},
      {"calcdasd_bad_option", Nothing, {"{calcdasd}", "--config", "{D}/system.cnf", "--frob"},
       "PAS408E", 12},
      {"calcdasd_bad_range", Nothing, {"{calcdasd}", "--config", "{D}/system.cnf", "QQQQ-ZZZZ"},
       "PAS408E", 12},
      {"calcdasd_bad_rate", Nothing, {"{calcdasd}", "--config", "{D}/system.cnf", "--rate", "-5"},
       "PAS408E", 12},

      // ---- Images: the file ----
      {"image_missing", [](const ScratchDir& d) { fs::remove(d / "src.ckd"); }, kInfoSrc,
       "PAS102E", 12},
      {"image_is_directory",
       [](const ScratchDir& d) {
         fs::remove(d / "src.ckd");
         fs::create_directory(d / "src.ckd");
       },
       kInfoSrc, "PAS102E", 12},
      {"image_zero_length", [](const ScratchDir& d) { Truncate(d / "src.ckd", 0); }, kInfoSrc,
       "PAS101E", 12},
      {"image_header_only", [](const ScratchDir& d) { Truncate(d / "src.ckd", 512); }, kInfoSrc,
       "PAS101E", 12},
      {"image_truncated_mid_track",
       [](const ScratchDir& d) { Truncate(d / "src.ckd", SlotOffset(100) + 1000); }, kInfoSrc,
       "PAS101E", 12},
      {"image_truncated_whole_tracks",
       [](const ScratchDir& d) { Truncate(d / "src.ckd", SlotOffset(143)); }, kCompareSrcTgt,
       "PAS101E", 12},
      {"image_wrong_magic", [](const ScratchDir& d) { Patch(d / "src.ckd", 0, "CKD_XXXX"); },
       kInfoSrc, "PAS101E", 12},
      {"image_compressed_magic", [](const ScratchDir& d) { Patch(d / "src.ckd", 0, "CKD_C370"); },
       kInfoSrc, "PAS10", 12},
      // ---- Compressed (CCKD) sources ----
      {"cckd_l1_offset_outside_file",
       [](const ScratchDir& d) {
         MakeCompressedSource(d);
         Patch(d / "src.ckd", ckd::kCckdL1Offset, Le32(0x7FFFFF00));
       },
       kInfoSrc, "PAS101E", 12},
      {"cckd_l1_offset_inside_headers",
       [](const ScratchDir& d) {
         MakeCompressedSource(d);
         Patch(d / "src.ckd", ckd::kCckdL1Offset, Le32(600));
       },
       kSimswapGood, "PAS328W", 8},
      {"cckd_l2_offset_outside_file",
       [](const ScratchDir& d) {
         auto c = MakeCompressedSource(d);
         Patch(d / "src.ckd", c.l2pos + 8, Le32(0x7FFFFF00));
       },
       kInfoSrc, "PAS101E", 12},
      {"cckd_l2_images_overlap",
       [](const ScratchDir& d) {
         auto c = MakeCompressedSource(d);
         Patch(d / "src.ckd", c.l2pos + 16, Le32(c.t1pos + 2));
       },
       kCompareSrcTgt, "PAS101E", 12},
      {"cckd_track_image_truncated",
       [](const ScratchDir& d) {
         auto c = MakeCompressedSource(d);
         Truncate(d / "src.ckd", c.t1pos + c.t1len / 2);
       },
       kInfoSrc, "PAS101E", 12},
      {"cckd_track_image_does_not_inflate",
       [](const ScratchDir& d) {
         auto c = MakeCompressedSource(d);
         Patch(d / "src.ckd", c.t1pos + 7, std::string(c.t1len - 7, '\x5A'));
       },
       kInfoSrc, "PAS101E", 12},
      {"cckd_free_chain_loop",
       [](const ScratchDir& d) {
         MakeCompressedSource(d);
         const uint64_t end = fs::file_size(d / "src.ckd");
         Patch(d / "src.ckd", end, Le32(static_cast<uint32_t>(end + 16)) + Le32(16) +
                                       std::string(8, '\0') + Le32(static_cast<uint32_t>(end)) +
                                       Le32(16) + std::string(8, '\0'));
         Patch(d / "src.ckd", ckd::kCckdHeaderOffset + 20, Le32(static_cast<uint32_t>(end)));
         Patch(d / "src.ckd", ckd::kCckdHeaderOffset + 32, Le32(3));
       },
       kInfoSrc, "PAS101E", 12},
      {"cckd_shadow_file",
       [](const ScratchDir& d) {
         MakeCompressedSource(d);
         Patch(d / "src.ckd", 0, "CKD_S370");
       },
       kInfoSrc, "PAS107E", 12},
      {"image_bad_heads", [](const ScratchDir& d) { PatchHeaderField(d / "src.ckd", 8, Le32(0)); },
       kInfoSrc, "PAS101E", 12},
      {"image_heads_disagree",
       [](const ScratchDir& d) { PatchHeaderField(d / "src.ckd", 8, Le32(16)); }, kInfoSrc,
       "PAS101E", 12},
      {"image_bad_trksize",
       [](const ScratchDir& d) { PatchHeaderField(d / "src.ckd", 12, Le32(47616)); },
       kCompareSrcTgt, "PAS101E", 12},
      {"image_bad_devtyp",
       [](const ScratchDir& d) { PatchHeaderField(d / "src.ckd", 16, std::string(1, '\x33')); },
       kInfoSrc, "PAS101E", 12},
      {"image_highcyl_in_single_file",
       [](const ScratchDir& d) { PatchHeaderField(d / "src.ckd", 18, "\x05\x00"); }, kInfoSrc,
       "PAS101E", 12},
      {"image_fileseq_without_set",
       [](const ScratchDir& d) { PatchHeaderField(d / "src.ckd", 17, std::string(1, '\x02')); },
       kInfoSrc, "PAS101E", 12},
      {"image_set_missing_member",
       [](const ScratchDir& d) {
         // A two-file set whose second file is gone: file 1 says fileseq 1
         // and highcyl 9 (more to come).
         fs::rename(d / "src.ckd", d / "set_1.ckd");
         PatchHeaderField(d / "set_1.ckd", 17, std::string("\x01\x09\x00", 3));
       },
       {"{pas}", "volume", "info", "{D}/set_1.ckd"}, "PAS101E", 12},

      // ---- Images: track 0 and VOL1 ----
      {"track0_zero", [](const ScratchDir& d) { Patch(d / "src.ckd", SlotOffset(0), std::string(64, '\0')); },
       kInfoSrc, "PAS101E", 12},
      {"track0_wrong_home_address",
       [](const ScratchDir& d) { Patch(d / "src.ckd", SlotOffset(0) + 1, Be16(7)); }, kInfoSrc,
       "PAS101E", 12},
      {"track0_record_overruns_slot",
       [](const ScratchDir& d) {
         EditTrack(d / "src.ckd", 0, [](std::vector<uint8_t>& s) {
           long c = FindRecord(s, 0, [](const ckd::RecordView& r) { return r.rec == 3; });
           s[c + 6] = 0xFF;  // DL of VOL1: 65535
           s[c + 7] = 0xFF;
         });
       },
       kInfoSrc, "PAS101E", 12},
      {"track0_no_end_of_track",
       [](const ScratchDir& d) {
         EditTrack(d / "src.ckd", 0, [](std::vector<uint8_t>& s) {
           uint32_t used = ckd::TrackUsedLength(s);
           std::fill(s.begin() + used - 8, s.begin() + used, 0x00);
         });
       },
       kInfoSrc, "PAS101E", 12},
      {"track0_count_cchh_wrong",
       [](const ScratchDir& d) {
         EditTrack(d / "src.ckd", 0, [](std::vector<uint8_t>& s) {
           long c = FindRecord(s, 0, [](const ckd::RecordView& r) { return r.rec == 3; });
           s[c + 1] = 0x04;  // CC of VOL1's count
         });
       },
       kInfoSrc, "PAS101E", 12},
      {"vol1_vtoc_beyond_volume",
       [](const ScratchDir& d) {
         EditVol1(d, [](std::vector<uint8_t>& s, long data) {
           s[data + 11] = 0x40;  // VTOC pointer CC 0x4000
         });
       },
       kInfoSrc, "PAS101E", 12},
      {"vol1_vtoc_head_out_of_range",
       [](const ScratchDir& d) {
         EditVol1(d, [](std::vector<uint8_t>& s, long data) { s[data + 14] = 0x20; });
       },
       kInfoSrc, "PAS101E", 12},
      {"vol1_points_at_non_f4",
       [](const ScratchDir& d) {
         EditDscb(d, 0xF4, [](uint8_t* b) { b[ckd::dscb::kKeyLength] = 0xF9; });
       },
       kInfoSrc, "PAS101E", 12},
      {"verify_image_wrong_magic", [](const ScratchDir& d) { Patch(d / "src.ckd", 0, "CKD_XXXX"); },
       kVerifySrc, "PAS174E", 12},

      // ---- Images: the VTOC ----
      {"vtoc_extent_beyond_volume",
       [](const ScratchDir& d) {
         EditDscb(d, 0xF4, [](uint8_t* b) {
           b[ckd::dscb::kF4Vtoce + 6] = 0x01;  // end CC 0x0100
         });
       },
       kInfoSrc, "PAS101E", 12},
      {"vtoc_extent_empty",
       [](const ScratchDir& d) {
         EditDscb(d, 0xF4, [](uint8_t* b) { std::memset(b + ckd::dscb::kF4Vtoce, 0, 10); });
       },
       kInfoSrc, "PAS101E", 12},
      {"vtoc_track_corrupt",
       [](const ScratchDir& d) { Patch(d / "src.ckd", SlotOffset(2), std::string(5, '\x01')); },
       kInfoSrc, "PAS101E", 12},
      {"dataset_extent_beyond_volume",
       [](const ScratchDir& d) {
         EditDscb(d, 0xF1, [](uint8_t* b) { b[ckd::dscb::kF1Ext1 + 6] = 0x10; });
       },
       kInfoSrc, "PAS101E", 12},
      {"dscb_chain_loops",
       [](const ScratchDir& d) {
         // F1's chain pointer names an F3 that names itself.
         for (uint32_t t = 1; t <= 4; ++t) {
           EditTrack(d / "src.ckd", t, [&](std::vector<uint8_t>& s) {
             long c = FindRecord(s, t, [](const ckd::RecordView& r) {
               return r.key.size() == ckd::dscb::kKeyLength && r.data[0] == 0xF1;
             });
             if (c < 0) return;
             // Find a free (format 0) DSCB on the same track and make it an F3.
             long f = FindRecord(s, t, [](const ckd::RecordView& r) {
               return r.key.size() == ckd::dscb::kKeyLength && r.data.size() == ckd::dscb::kDataLength &&
                      r.data[0] == 0x00;
             });
             ASSERT_GE(f, 0);
             uint8_t* f1 = s.data() + c + ckd::kCountSize;
             uint8_t* f3 = s.data() + f + ckd::kCountSize;
             const uint8_t rec = s[f + 4];
             std::memset(f3, 0, ckd::dscb::kSize);
             f3[0] = f3[1] = f3[2] = f3[3] = 0x03;
             f3[ckd::dscb::kKeyLength] = 0xF3;
             const uint8_t ptr[5] = {0, 0, 0, static_cast<uint8_t>(t), rec};
             std::memcpy(f1 + ckd::dscb::kPtrds, ptr, 5);
             std::memcpy(f3 + ckd::dscb::kPtrds, ptr, 5);
           });
         }
       },
       kInfoSrc, "PAS101E", 12},
      {"dscb_chain_dangles",
       [](const ScratchDir& d) {
         EditDscb(d, 0xF1, [](uint8_t* b) {
           const uint8_t ptr[5] = {0, 0, 0, 3, 0x63};
           std::memcpy(b + ckd::dscb::kPtrds, ptr, 5);
         });
       },
       kInfoSrc, "PAS101E", 12},
      {"dscb_chain_to_f4",
       [](const ScratchDir& d) {
         EditDscb(d, 0xF1, [](uint8_t* b) {
           const uint8_t ptr[5] = {0, 0, 0, 1, 1};
           std::memcpy(b + ckd::dscb::kPtrds, ptr, 5);
         });
       },
       kInfoSrc, "PAS101E", 12},
      {"vtoc_corrupt_on_compare",
       [](const ScratchDir& d) {
         EditDscb(d, 0xF1, [](uint8_t* b) { b[ckd::dscb::kF1Ext1 + 6] = 0x10; });
       },
       kCompareSrcTgt, "PAS", 1},

      // ---- Images named by other commands ----
      {"compare_second_missing", [](const ScratchDir& d) { fs::remove(d / "src.ckd"); },
       kCompareSrcTgt, "PAS102E", 12},
      {"compare_one_image_only", Nothing, {"{pas}", "volume", "compare", "{D}/src.ckd"}, "PAS109E",
       12},
      {"volume_info_unknown_option", Nothing, {"{pas}", "volume", "info", "{D}/src.ckd", "--frob"},
       "PAS109E", 12},
      {"copy_compress_level_out_of_range", Nothing,
       {"{pas}", "volume", "copy", "{D}/src.ckd", "{D}/out.cckd", "--compress", "zlib",
        "--compress-level", "12"},
       "PAS109E", 12},
      {"init_compress_level_without_compress", Nothing,
       {"{pas}", "volume", "init", "{D}/new.ckd", "--model", "3390-1", "--volser", "NEW001",
        "--compress-level", "7"},
       "PAS109E", 12},
      {"verify_image_missing", [](const ScratchDir& d) { fs::remove(d / "src.ckd"); }, kVerifySrc,
       "PAS174E", 12},
      {"verify_image_truncated", [](const ScratchDir& d) { Truncate(d / "src.ckd", 100000); },
       kVerifySrc, "PAS174E", 12},
      // ---- The workload and the VTOC (pas workload run) ----
      {"workload_no_room_for_its_data_set", FillSourceVolume, kWorkloadRun, "PAS761E", 12},
      {"workload_share_overlaps_a_running_workload", HoldOverlappingShare, kWorkloadRun,
       "PAS762E", 12},
      {"workload_tracks_outside_its_data_set", Nothing,
       {"{pas}", "workload", "run", "--unit", "1887", "--writes", "5", "--tracks", "20-30",
        "--journal", "{D}/wj", "--config", "{D}/system.cnf"},
       "PAS172E", 12},
      {"verify_journal_missing", [](const ScratchDir& d) { fs::remove(d / "journal.w0"); },
       kVerifySrc, "PAS173E", 12},
      {"verify_journal_garbage",
       [](const ScratchDir& d) { WriteFile(d / "journal.w0", "this is not\na journal\n"); },
       kVerifySrc, "PAS173E", 12},
      {"calcdasd_vtoc_loop_counted_as_allocated",
       [](const ScratchDir& d) {
         EditDscb(d, 0xF1, [](uint8_t* b) {
           const uint8_t ptr[5] = {0, 0, 0, 3, 0x63};
           std::memcpy(b + ckd::dscb::kPtrds, ptr, 5);
         });
       },
       kCalcdasdGood, "PAS404W", 4},
      {"simswap_source_image_corrupt",
       [](const ScratchDir& d) { Patch(d / "src.ckd", 0, "NOTACKD!"); }, kSimswapGood, "PAS316E",
       8},
      {"simswap_target_image_truncated", [](const ScratchDir& d) { Truncate(d / "tgt.ckd", 7777); },
       kSimswapGood, "PAS208E", 8},

      // ---- Identity: one image under two names (device + inode) ----
      {"config_target_symlink_to_source",
       [](const ScratchDir& d) {
         fs::create_symlink(d / "src.ckd", d / "lnk.ckd");
         WriteFile(d / "system.cnf", "LPARNAME SYSA\n1887 3390 src.ckd\nB887 3390 lnk.ckd\nOFFLINE B887\n");
         WriteFile(d / "bad.deck", kSwapDeck);
       },
       kRunBadDeck, "PAS281E", 12},
      {"config_target_hardlink_to_source",
       [](const ScratchDir& d) {
         fs::create_hard_link(d / "src.ckd", d / "hard.ckd");
         WriteFile(d / "system.cnf", "LPARNAME SYSA\n1887 3390 src.ckd\nB887 3390 hard.ckd\nOFFLINE B887\n");
         WriteFile(d / "bad.deck", kSwapDumpDeck);
       },
       kRunBadDeck, "PAS281E", 12},
      {"config_target_symlinked_directory",
       [](const ScratchDir& d) {
         fs::create_directory_symlink(d.path(), d / "alias");
         WriteFile(d / "system.cnf",
                   "LPARNAME SYSA\n1887 3390 src.ckd\nB887 3390 alias/src.ckd\nOFFLINE B887\n");
         WriteFile(d / "bad.deck", kSwapDeck);
       },
       kRunBadDeck, "PAS281E", 12},
      {"config_target_is_member_of_source_set",
       [](const ScratchDir& d) {
         SplitIntoSet(d, "src.ckd", "set");
         fs::create_hard_link(d / "set_2.ckd", d / "member.ckd");
         WriteFile(d / "system.cnf",
                   "LPARNAME SYSA\n1887 3390 set_1.ckd\nB887 3390 member.ckd\nOFFLINE B887\n");
         WriteFile(d / "bad.deck", kSwapDeck);
       },
       kRunBadDeck, "PAS281E", 12},
      {"config_two_units_one_image",
       [](const ScratchDir& d) {
         fs::copy_file(d / "tgt.ckd", d / "other.ckd");
         WriteFile(d / "system.cnf", std::string(kGoodConfig) + "1888 3390 other.ckd\n");
         WriteFile(d / "bad.cnf", "LPARNAME SYSA\n1887 3390 src.ckd\n1888 3390 other.ckd\n"
                                  "B887 3390 other.ckd\nOFFLINE B887\n");
         WriteFile(d / "bad.deck", kSwapDeck);
       },
       {"{pas}", "run", "{D}/bad.deck", "--config", "{D}/bad.cnf", "--state-dir", "{D}/state"},
       "PAS281E", 12},
      {"display_two_units_one_image",
       [](const ScratchDir& d) {
         fs::create_symlink(d / "tgt.ckd", d / "lnk.ckd");
         WriteFile(d / "bad.cnf", std::string(kGoodConfig) + "1888 3390 lnk.ckd\n");
       },
       kDisplayBadConfig, "PAS281E", 12},

      // ---- Files that are not images, typos, encodings ----
      {"image_is_fifo",
       [](const ScratchDir& d) {
         fs::remove(d / "src.ckd");
         ASSERT_EQ(::mkfifo((d / "src.ckd").c_str(), 0600), 0);
       },
       kInfoSrc, "PAS102E", 12},
      {"swap_target_is_fifo",
       [](const ScratchDir& d) {
         fs::remove(d / "tgt.ckd");
         ASSERT_EQ(::mkfifo((d / "tgt.ckd").c_str(), 0600), 0);
         WriteFile(d / "bad.deck", kSwapDeck);
       },
       kRunBadDeck, "PAS208E", 8},
      // ---- Control files planted by another user (nobody) in a shared,
      // world-writable sticky folder; pas runs as root ----
      {"control_registry_symlink_planted",
       [](const ScratchDir& d) {
         SharedFolder(d);
         AsNobody({"ln", "-s", d / "victim", d / "src.ckd.pas-online"});
       },
       kSimswapGood, "PAS285E", 8},
      {"control_registry_owned_by_other_user",
       [](const ScratchDir& d) {
         SharedFolder(d);
         AsNobody({"sh", "-c", "umask 0; : > " + (d / "src.ckd.pas-online")});
       },
       kSimswapGood, "PAS285E", 8},
      {"control_area_symlink_planted",
       [](const ScratchDir& d) {
         SharedFolder(d);
         AsNobody({"ln", "-s", d / "victim", d / "tgt.ckd.pas-ctl"});
         WriteFile(d / "bad.deck", kSwapDeck);
       },
       kRunBadDeck, "PAS285E", 8},
      {"config_unit_five_digits",
       Config("LPARNAME SYSA\n18870 3390 src.ckd\nB887 3390 tgt.ckd\nOFFLINE B887\n"),
       kRunBadConfig, "PAS154E", 12},
  };
  return c;
}

// ---- Running a case ----

uint64_t Fnv1a(const std::string& bytes) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char ch : bytes) {
    h ^= ch;
    h *= 1099511628211ull;
  }
  return h;
}

// Every regular file under `root` (outside state/) -> hash of its bytes.
std::map<std::string, uint64_t> HashTree(const std::string& root) {
  std::map<std::string, uint64_t> out;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator();
       ++it) {
    const std::string rel = fs::relative(it->path(), root).string();
    if (rel == "state" || rel.rfind("state/", 0) == 0) {
      if (it->is_directory()) it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file()) out[rel] = Fnv1a(ReadFile(it->path().string()));
  }
  return out;
}

std::string Substitute(std::string s, const std::string& dir) {
  for (auto [from, to] : {std::pair<std::string, std::string>{"{D}", dir},
                          {"{pas}", PAS_BINARY},
                          {"{calcdasd}", CALCDASD_BINARY}}) {
    for (size_t p; (p = s.find(from)) != std::string::npos;) s.replace(p, from.size(), to);
  }
  return s;
}

class BadInputTest : public ::testing::TestWithParam<BadInput> {};

TEST_P(BadInputTest, NamedNonZeroNoCrashNoWrite) {
  const BadInput& bad = GetParam();
  ScratchDir dir;
  BuildWorld(dir);
  ASSERT_FALSE(HasFatalFailure());
  bad.prepare(dir);
  ASSERT_FALSE(HasFatalFailure());
  const auto before = HashTree(dir.path());

  std::vector<std::string> argv;
  for (const auto& a : bad.argv) argv.push_back(Substitute(a, dir.path()));
  testing::ProcessResult r =
      testing::Run(argv, bad.stdin_text,
                   {"PAS_STATE_DIR=" + (dir / "state"), "PAS_CONFIG=" + (dir / "system.cnf"),
                    "PAS_JOIN_TIMEOUT=2"},
                   60);
  const std::string output = r.out + r.err;
  SCOPED_TRACE("output:\n" + output);
  EXPECT_FALSE(r.timed_out);
  EXPECT_LT(r.exit_code, 128) << "killed by a signal";
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.exit_code, bad.exit_code);
  EXPECT_NE(output.find(bad.id), std::string::npos) << "expected message " << bad.id;
  EXPECT_EQ(output.find("terminate called"), std::string::npos);
  EXPECT_EQ(output.find("Sanitizer"), std::string::npos);

  const auto after = HashTree(dir.path());
  for (const auto& [file, hash] : before) {
    auto it = after.find(file);
    ASSERT_NE(it, after.end()) << file << " was removed";
    EXPECT_EQ(it->second, hash) << file << " was changed";
  }
}

std::string CaseName(const ::testing::TestParamInfo<BadInput>& info) { return info.param.name; }

INSTANTIATE_TEST_SUITE_P(Catalogue, BadInputTest, ::testing::ValuesIn(Catalogue()), CaseName);

// Not bad input: a UTF-8 byte-order mark at the start of a deck and of a
// configuration (editors on other systems write one) is accepted.
TEST(EncodingTest, ByteOrderMarkAcceptedInDeckAndConfiguration) {
  ScratchDir dir;
  BuildWorld(dir);
  ASSERT_FALSE(HasFatalFailure());
  const std::string bom = "\xEF\xBB\xBF";
  WriteFile(dir / "bom.cnf", bom + kGoodConfig);
  WriteFile(dir / "bom.deck", bom + kGoodDeck);
  testing::ProcessResult r = testing::Run(
      {PAS_BINARY, "run", dir / "bom.deck", "--config", dir / "bom.cnf", "--state-dir", dir / "state"}, "", {},
      60);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("PAS265I"), std::string::npos) << r.out;
}

// The catalogue is the size the reliability plan asks for, and its names
// are unique (a typo would silently run one case twice otherwise).
TEST(BadInputCatalogue, AtLeastSixtyDistinctCases) {
  const auto c = Catalogue();
  EXPECT_GE(c.size(), 60u);
  std::set<std::string> names;
  for (const auto& b : c) EXPECT_TRUE(names.insert(b.name).second) << b.name;
}

}  // namespace
}  // namespace pas
