// CALCDASD: the seed's example configuration, model counts and warnings,
// ranges, % used measured from the volume, corrupt and missing images,
// the migration estimate, the command line, and the real binary.
#include "calcdasd/calcdasd.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "ckd/device.h"
#include "ckd/image.h"
#include "ckd/volume.h"
#include "host/config.h"
#include "report/history.h"
#include "test_util.h"

namespace pas::calcdasd {
namespace {

using ::pas::testing::ReadFile;
using ::pas::testing::ScratchDir;
using ::pas::testing::WriteFile;

constexpr uint32_t kSlot3390 = 56832;
constexpr uint32_t kSlot3380 = 47616;

uint8_t Ebcdic(char c) {
  if (c >= 'A' && c <= 'I') return static_cast<uint8_t>(0xC1 + (c - 'A'));
  if (c >= 'J' && c <= 'R') return static_cast<uint8_t>(0xD1 + (c - 'J'));
  if (c >= 'S' && c <= 'Z') return static_cast<uint8_t>(0xE2 + (c - 'S'));
  if (c >= '0' && c <= '9') return static_cast<uint8_t>(0xF0 + (c - '0'));
  return 0x40;
}

void Put16(std::vector<uint8_t>& b, uint32_t v) {
  b.push_back(static_cast<uint8_t>(v >> 8));
  b.push_back(static_cast<uint8_t>(v));
}

// HA and a count field, big-endian as on the volume.
void Ha(std::vector<uint8_t>& b, uint32_t cyl, uint32_t head) {
  b.push_back(0);
  Put16(b, cyl);
  Put16(b, head);
}
void Count(std::vector<uint8_t>& b, uint32_t cyl, uint32_t head, uint8_t r, uint8_t kl,
           uint16_t dl) {
  Put16(b, cyl);
  Put16(b, head);
  b.push_back(r);
  b.push_back(kl);
  Put16(b, dl);
}
void Eot(std::vector<uint8_t>& b) { b.insert(b.end(), 8, 0xFF); }
void R0(std::vector<uint8_t>& b, uint32_t cyl, uint32_t head) {
  Count(b, cyl, head, 0, 0, 8);
  b.insert(b.end(), 8, 0);
}

void PWrite(int fd, const std::vector<uint8_t>& b, uint64_t off) {
  ASSERT_EQ(::pwrite(fd, b.data(), b.size(), static_cast<off_t>(off)),
            static_cast<ssize_t>(b.size()));
}

// Writes a sparse Hercules CKD image by hand (independently of the ckd
// library): the header, track 0 with R0, IPL1, IPL2 and VOL1 (the VTOC
// pointer names track 1, an empty FMT1 track, so there is no VTOC), and
// nothing else: every other slot is a hole.
void MakeImage(const std::string& path, uint32_t cylinders, const std::string& volser,
               uint16_t device_type = 0x3390) {
  const uint32_t slot = device_type == 0x3390 ? kSlot3390 : kSlot3380;
  int fd = ::open(path.c_str(), O_CREAT | O_TRUNC | O_WRONLY, 0644);
  ASSERT_GE(fd, 0) << path;
  std::vector<uint8_t> h(512, 0);
  std::memcpy(h.data(), "CKD_P370", 8);
  h[8] = 15;
  h[12] = slot & 0xFF;
  h[13] = (slot >> 8) & 0xFF;
  h[14] = (slot >> 16) & 0xFF;
  h[16] = static_cast<uint8_t>(device_type & 0xFF);
  PWrite(fd, h, 0);
  std::vector<uint8_t> t0;
  Ha(t0, 0, 0);
  R0(t0, 0, 0);
  Count(t0, 0, 0, 1, 4, 24);
  for (char c : std::string("IPL1")) t0.push_back(Ebcdic(c));
  t0.insert(t0.end(), 24, 0);
  Count(t0, 0, 0, 2, 4, 144);
  for (char c : std::string("IPL2")) t0.push_back(Ebcdic(c));
  t0.insert(t0.end(), 144, 0);
  Count(t0, 0, 0, 3, 4, 80);
  for (char c : std::string("VOL1")) t0.push_back(Ebcdic(c));
  std::vector<uint8_t> vol1(80, 0x40);
  for (int i = 0; i < 4; ++i) vol1[i] = Ebcdic("VOL1"[i]);
  for (size_t i = 0; i < 6; ++i) vol1[4 + i] = i < volser.size() ? Ebcdic(volser[i]) : 0x40;
  vol1[11] = 0;  // VTOC at CC 0 HH 1 R 1
  vol1[12] = 0;
  vol1[13] = 0;
  vol1[14] = 1;
  vol1[15] = 1;
  t0.insert(t0.end(), vol1.begin(), vol1.end());
  Eot(t0);
  PWrite(fd, t0, 512);
  std::vector<uint8_t> t1;
  Ha(t1, 0, 1);
  R0(t1, 0, 1);
  Eot(t1);
  PWrite(fd, t1, 512 + slot);
  ASSERT_EQ(::ftruncate(fd, static_cast<off_t>(512 + uint64_t{cylinders} * 15 * slot)), 0);
  ::close(fd);
}

// Gives `count` tracks from `first` a 16-byte R1 (the first bytes of each
// slot only; the rest of the slot stays a hole).
void WriteDataTracks(const std::string& path, uint32_t first, uint32_t count) {
  int fd = ::open(path.c_str(), O_WRONLY);
  ASSERT_GE(fd, 0);
  for (uint32_t t = first; t < first + count; ++t) {
    std::vector<uint8_t> b;
    Ha(b, t / 15, t % 15);
    R0(b, t / 15, t % 15);
    Count(b, t / 15, t % 15, 1, 0, 16);
    b.insert(b.end(), 16, 0xAB);
    Eot(b);
    PWrite(fd, b, 512 + uint64_t{t} * kSlot3390);
  }
  ::close(fd);
}

void WriteTrackBytes(const std::string& path, uint32_t track, const std::vector<uint8_t>& b) {
  int fd = ::open(path.c_str(), O_WRONLY);
  ASSERT_GE(fd, 0);
  PWrite(fd, b, 512 + uint64_t{track} * kSlot3390);
  ::close(fd);
}

const char* const kSeedVolsers[] = {"63BRES", "63BCOM", "63BREL", "63BSP1",
                                    "63BPG1", "63BW01", "VM1886", "VM1887"};

// The seed's VMLAB63B: eight 3390-9s 1880-1887, four CP-owned, PAGE and
// SPOOL of 10016 cylinders and DRCT of 20, used 8.49 %, 1.84 % and 20.00 %.
std::string MakeSeedSystem(const ScratchDir& dir) {
  std::string cnf = "LPARNAME VMLAB63B\nCPUSERIAL 04E2062818\nMAINSIZE 2048\n";
  for (int i = 0; i < 8; ++i) {
    std::string name = std::string(kSeedVolsers[i]) + ".ckd";
    MakeImage(dir / name, 10017, kSeedVolsers[i]);
    cnf += host::FormatDevnum(static_cast<uint16_t>(0x1880 + i)) + " 3390 " + name + "\n";
  }
  cnf += "CPOWNED 1880-1881 1883-1884\n";
  cnf += "ALLOC 1880 DRCT 1-20\nALLOC 1883 SPOOL 1-10016\nALLOC 1884 PAGE 1-10016\n";
  // Used tracks: 60 of 300 (20.00 %), 2764 of 150240 (1.84 %), 12755 of 150240 (8.49 %).
  WriteDataTracks(dir / "63BRES.ckd", 15, 60);
  WriteDataTracks(dir / "63BSP1.ckd", 15, 2764);
  WriteDataTracks(dir / "63BPG1.ckd", 15 + 1000, 12755);
  WriteFile(dir / "vmlab63b.cnf", cnf);
  return dir / "vmlab63b.cnf";
}

host::SystemConfig Load(const std::string& path) {
  auto c = host::LoadSystemConfig(path);
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return c.ok() ? *c : host::SystemConfig{};
}

Options TestOptions(const ScratchDir& dir) {
  Options o;
  o.state_dir = dir / "state";  // an empty history: the default rate
  return o;
}

const TotalRow* FindTotal(const Report& r, const std::string& type) {
  for (const TotalRow& t : r.totals) {
    if (t.type == type) return &t;
  }
  return nullptr;
}
const AllocRow* FindAlloc(const Report& r, const std::string& type) {
  for (const AllocRow& a : r.cp_allocation) {
    if (a.type == type) return &a;
  }
  return nullptr;
}
int ModelCountOf(const Report& r, const std::string& label) {
  for (const ModelCount& m : r.models) {
    if (m.label == label) return m.count;
  }
  return -1;
}

TEST(CalcdasdTest, SeedConfigurationGivesTheSeedTables) {
  ScratchDir dir;
  std::string cnf = MakeSeedSystem(dir);
  auto r = BuildReport(Load(cnf), TestOptions(dir));
  ASSERT_OK(r);
  EXPECT_EQ(r->units_counted, 8);
  EXPECT_EQ(r->units_failed, 0);
  EXPECT_EQ(r->ConditionCode(), 0);
  EXPECT_EQ(ModelCountOf(*r, "3390-9s"), 8);
  EXPECT_EQ(ModelCountOf(*r, "3390-3s"), 0);
  EXPECT_EQ(ModelCountOf(*r, "non-std"), 0);
  EXPECT_TRUE(r->size_warnings.empty());
  ASSERT_NE(FindTotal(*r, "CP-OWNED"), nullptr);
  EXPECT_EQ(FindTotal(*r, "CP-OWNED")->cylinders, 40068u);
  EXPECT_EQ(FindTotal(*r, "SYSTEM")->cylinders, 40068u);
  EXPECT_EQ(FindTotal(*r, "ATTACHED")->cylinders, 0u);
  EXPECT_EQ(FindTotal(*r, "Total:")->cylinders, 80136u);
  EXPECT_EQ(FindTotal(*r, "OFFLINE"), nullptr);
  EXPECT_EQ(FindAlloc(*r, "PAGE")->cylinders, 10016u);
  EXPECT_EQ(FindAlloc(*r, "SPOOL")->cylinders, 10016u);
  EXPECT_EQ(FindAlloc(*r, "DRCT")->cylinders, 20u);
  EXPECT_EQ(FindAlloc(*r, "TDISK")->cylinders, 0u);
  EXPECT_EQ(FindAlloc(*r, "PERM"), nullptr);

  const std::string text = FormatReport(*r, /*short_form=*/true);
  for (const char* line :
       {"3390-1s      (1113 cylinders):    0\n", "3390-9s      (10017 cylinders):   8\n",
        "3390-As      (sizes > 65520):     0\n", "TDISK             0     0.00    0.00\n",
        "PAGE          10016     8.51    8.49\n", "SPOOL         10016     8.51    1.84\n",
        "DRCT             20     0.02   20.00\n", "CP-OWNED      40068    34.06\n",
        "SYSTEM        40068    34.06\n", "ATTACHED          0     0.00\n",
        "Total:        80136    68.11\n"}) {
    EXPECT_NE(text.find(line), std::string::npos) << "missing: " << line << "in:\n" << text;
  }
  EXPECT_EQ(text.find("DASD 1880"), std::string::npos) << "SHORT prints no QUERY lines";
  EXPECT_EQ(text.find("Migration estimate"), std::string::npos);

  const std::string full = FormatReport(*r, /*short_form=*/false);
  const char* const kLines[] = {"DASD 1880 CP OWNED 63BRES\n",  "DASD 1881 CP OWNED 63BCOM\n",
                                "DASD 1882 CP SYSTEM 63BREL\n", "DASD 1883 CP OWNED 63BSP1\n",
                                "DASD 1884 CP OWNED 63BPG1\n",  "DASD 1885 CP SYSTEM 63BW01\n",
                                "DASD 1886 CP SYSTEM VM1886\n", "DASD 1887 CP SYSTEM VM1887\n"};
  size_t pos = 0;
  for (const char* line : kLines) {
    size_t at = full.find(line);
    ASSERT_NE(at, std::string::npos) << line << full;
    EXPECT_GT(at, pos) << "unit lines in configuration order";
    pos = at;
  }
  EXPECT_NE(full.find("QUERY DASD output:"), std::string::npos);
  EXPECT_NE(full.find("Migration estimate"), std::string::npos);
}

TEST(CalcdasdTest, PercentUsedCountsOnlyTracksWithRecordsBeyondR0) {
  ScratchDir dir;
  MakeImage(dir / "a.ckd", 100, "CPVOL1");
  // Area: cylinders 1-2 = tracks 15-44 (30 tracks). Tracks 15-17 hold an R1;
  // 18 is FMT1 empty, 19 is FMT0 (EOF R1), the rest never written.
  WriteDataTracks(dir / "a.ckd", 15, 3);
  std::vector<uint8_t> fmt1, fmt0;
  Ha(fmt1, 1, 3);
  R0(fmt1, 1, 3);
  Eot(fmt1);
  WriteTrackBytes(dir / "a.ckd", 18, fmt1);
  Ha(fmt0, 1, 4);
  R0(fmt0, 1, 4);
  Count(fmt0, 1, 4, 1, 0, 0);
  Eot(fmt0);
  WriteTrackBytes(dir / "a.ckd", 19, fmt0);
  WriteDataTracks(dir / "a.ckd", 45, 5);  // outside the area: not counted
  WriteFile(dir / "s.cnf", "LPARNAME S\n0100 3390 a.ckd\nCPOWNED 0100\nALLOC 0100 TDISK 1-2\n");
  auto r = BuildReport(Load(dir / "s.cnf"), TestOptions(dir));
  ASSERT_OK(r);
  ASSERT_EQ(r->units.size(), 1u);
  ASSERT_EQ(r->units[0].areas.size(), 1u);
  EXPECT_EQ(r->units[0].areas[0].tracks, 30u);
  EXPECT_EQ(r->units[0].areas[0].used_tracks, 3u);
  EXPECT_EQ(r->units[0].areas[0].malformed_tracks, 0u);
  EXPECT_NEAR(FindAlloc(*r, "TDISK")->percent_used, 10.0, 1e-9);
  EXPECT_EQ(r->ConditionCode(), 0);
}

// A compressed copy (Hercules dasdcopy -z) of the same volume: counted by
// its cylinders, the same tracks used, and the bytes its file occupies.
TEST(CalcdasdTest, CompressedUnitsCountByCylindersAndShowTheirBytes) {
  ScratchDir dir;
  MakeImage(dir / "a.ckd", 100, "CPVOL1");
  WriteDataTracks(dir / "a.ckd", 15, 3);
  auto cp = ::pas::testing::RunDasdcopy({"-z", dir / "a.ckd", dir / "a.cckd"});
  ASSERT_EQ(cp.exit_code, 0) << cp.out << cp.err;
  WriteFile(dir / "s.cnf", "LPARNAME S\n0100 3390 a.cckd\nCPOWNED 0100\nALLOC 0100 TDISK 1-2\n");
  auto r = BuildReport(Load(dir / "s.cnf"), TestOptions(dir));
  ASSERT_OK(r);
  ASSERT_EQ(r->units.size(), 1u);
  const UnitReport& u = r->units[0];
  EXPECT_TRUE(u.counted) << u.error;
  EXPECT_TRUE(u.compressed);
  EXPECT_EQ(u.cylinders, 100u);
  EXPECT_EQ(u.volser, "CPVOL1");
  EXPECT_EQ(u.file_bytes, std::filesystem::file_size(dir / "a.cckd"));
  ASSERT_EQ(u.areas.size(), 1u);
  EXPECT_EQ(u.areas[0].tracks, 30u);
  EXPECT_EQ(u.areas[0].used_tracks, 3u);
  const std::string text = FormatReport(*r, false);
  EXPECT_NE(text.find("Compressed volumes:  1, 100 cylinders"), std::string::npos) << text;
}

TEST(CalcdasdTest, MalformedTracksAndAreasBeyondTheVolumeAreWarnings) {
  ScratchDir dir;
  MakeImage(dir / "a.ckd", 50, "CPVOL1");
  std::vector<uint8_t> bad;
  Ha(bad, 7, 7);  // wrong home address for track 15
  R0(bad, 7, 7);
  Eot(bad);
  WriteTrackBytes(dir / "a.ckd", 15, bad);
  WriteFile(
      dir / "s.cnf",
      "LPARNAME S\n0100 3390 a.ckd\nCPOWNED 0100\nALLOC 0100 PAGE 1-1\nALLOC 0100 SPOOL 40-60\n"
      "ALLOC 0100 PERM 70-80\n");
  auto r = BuildReport(Load(dir / "s.cnf"), TestOptions(dir));
  ASSERT_OK(r);
  const UnitReport& u = r->units[0];
  ASSERT_TRUE(u.counted) << u.error;
  ASSERT_EQ(u.areas.size(), 3u);
  EXPECT_EQ(u.areas[0].malformed_tracks, 1u);
  EXPECT_EQ(u.areas[0].used_tracks, 1u);
  EXPECT_EQ(u.areas[1].cylinders, 10u);  // 40-49: cut at the last cylinder
  EXPECT_EQ(u.areas[2].cylinders, 0u);
  ASSERT_EQ(u.warnings.size(), 3u);
  EXPECT_NE(u.warnings[0].find("PAS406W UNIT 0100: 1 MALFORMED TRACKS IN PAGE"), std::string::npos)
      << u.warnings[0];
  EXPECT_NE(u.warnings[1].find("PAS405W UNIT 0100 ALLOC SPOOL 40-60"), std::string::npos)
      << u.warnings[1];
  EXPECT_NE(u.warnings[2].find("PAS405W UNIT 0100 ALLOC PERM 70-80"), std::string::npos)
      << u.warnings[2];
  EXPECT_EQ(r->ConditionCode(), 4);
  EXPECT_EQ(FindAlloc(*r, "SPOOL")->cylinders, 10u);
}

TEST(CalcdasdTest, ModelCountsAndNonStandardSizeWarnings) {
  ScratchDir dir;
  struct Vol {
    const char* unit;
    uint32_t cyls;
    uint16_t type;
  };
  const Vol vols[] = {{"048E", 556, 0x3390},   {"048F", 556, 0x3390},   {"8F10", 20034, 0x3390},
                      {"0200", 1113, 0x3390},  {"0201", 2226, 0x3390},  {"0202", 3339, 0x3390},
                      {"0203", 10020, 0x3390}, {"0204", 32760, 0x3390}, {"0205", 65520, 0x3390},
                      {"0206", 65535, 0x3390}, {"0300", 885, 0x3380},   {"0301", 100, 0x3380}};
  std::string cnf = "LPARNAME MIX\n";
  for (const Vol& v : vols) {
    MakeImage(dir / (std::string(v.unit) + ".ckd"), v.cyls, "V" + std::string(v.unit), v.type);
    cnf += std::string(v.unit) + (v.type == 0x3390 ? " 3390 " : " 3380 ") + v.unit + ".ckd\n";
  }
  WriteFile(dir / "m.cnf", cnf);
  auto r = BuildReport(Load(dir / "m.cnf"), TestOptions(dir));
  ASSERT_OK(r);
  EXPECT_EQ(r->units_counted, 12);
  std::vector<std::string> want = {"Warning - non standard size: 048E has 556 cylinders",
                                   "Warning - non standard size: 048F has 556 cylinders",
                                   "Warning - non standard size: 8F10 has 20034 cylinders",
                                   "Warning - non standard size: 0301 has 100 cylinders"};
  EXPECT_EQ(r->size_warnings, want);
  EXPECT_EQ(ModelCountOf(*r, "3390-1s"), 1);
  EXPECT_EQ(ModelCountOf(*r, "3390-2s"), 1);
  EXPECT_EQ(ModelCountOf(*r, "3390-3s"), 1);
  EXPECT_EQ(ModelCountOf(*r, "3390-9s"), 1);  // 10017 + 3 alternate cylinders
  EXPECT_EQ(ModelCountOf(*r, "3390-27s"), 1);
  EXPECT_EQ(ModelCountOf(*r, "3390-54s"), 1);
  EXPECT_EQ(ModelCountOf(*r, "non-std"), 3);
  EXPECT_EQ(ModelCountOf(*r, "3390-As"), 1);
  EXPECT_EQ(ModelCountOf(*r, "3380-1s"), 1);
  EXPECT_EQ(ModelCountOf(*r, "3380 non-std"), 1);
  const UnitReport* u9 = nullptr;
  for (const UnitReport& u : r->units) {
    if (u.devnum == 0x0203) u9 = &u;
  }
  ASSERT_NE(u9, nullptr);
  EXPECT_EQ(u9->cylinders, 10017u);
  EXPECT_EQ(u9->image_cylinders, 10020u);
  // Every unit here is SYSTEM: 3390 cylinders at 56664 bytes, 3380 at 47476.
  const uint64_t cyl3390 = 556 * 2 + 20034 + 1113 + 2226 + 3339 + 10017 + 32760 + 65520 + 65535;
  EXPECT_EQ(FindTotal(*r, "SYSTEM")->cylinders, cyl3390 + 885 + 100);
  EXPECT_NEAR(FindTotal(*r, "Total:")->gb, cyl3390 * 15 * 56664.0 / 1e9 + 985 * 15 * 47476.0 / 1e9,
              1e-6);
  const std::string text = FormatReport(*r, true);
  EXPECT_NE(text.find("Warning - non standard size: 048E has 556 cylinders\n"), std::string::npos);
  EXPECT_NE(text.find("3380-1s      (885 cylinders):     1\n"), std::string::npos) << text;
}

TEST(CalcdasdTest, RangeSelectsUnitsAndRolesAreReported) {
  ScratchDir dir;
  std::string cnf = "LPARNAME R\n";
  for (int i = 0; i < 8; ++i) {
    std::string name = "v" + std::to_string(i) + ".ckd";
    MakeImage(dir / name, 1113, "VOL00" + std::to_string(i));
    cnf += host::FormatDevnum(static_cast<uint16_t>(0x1880 + i)) + " 3390 " + name + "\n";
  }
  cnf += "CPOWNED 1880\nATTACH 1882 LINUX01\nOFFLINE 1883\n";
  WriteFile(dir / "r.cnf", cnf);
  Options o = TestOptions(dir);
  o.range = std::make_pair(uint16_t{0x1881}, uint16_t{0x1883});
  auto r = BuildReport(Load(dir / "r.cnf"), o);
  ASSERT_OK(r);
  ASSERT_EQ(r->units.size(), 3u);
  EXPECT_EQ(r->units[0].devnum, 0x1881);
  EXPECT_EQ(r->units[2].devnum, 0x1883);
  EXPECT_EQ(ModelCountOf(*r, "3390-1s"), 3);
  EXPECT_EQ(FindTotal(*r, "CP-OWNED")->cylinders, 0u);
  EXPECT_EQ(FindTotal(*r, "SYSTEM")->cylinders, 1113u);
  EXPECT_EQ(FindTotal(*r, "ATTACHED")->cylinders, 1113u);
  ASSERT_NE(FindTotal(*r, "OFFLINE"), nullptr);
  EXPECT_EQ(FindTotal(*r, "OFFLINE")->cylinders, 1113u);
  EXPECT_EQ(FindTotal(*r, "Total:")->cylinders, 3339u);
  const std::string text = FormatReport(*r, false);
  EXPECT_NE(text.find("QUERY 1881-1883 output:"), std::string::npos);
  EXPECT_NE(text.find("DASD 1881 CP SYSTEM VOL001\n"), std::string::npos) << text;
  EXPECT_NE(text.find("DASD 1882 ATTACHED TO LINUX01 1882 R/W VOL002\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("DASD 1883 OFFLINE VOL003\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("DASD 1880"), std::string::npos);
  EXPECT_EQ(text.find("DASD 1884"), std::string::npos);

  o.range = std::make_pair(uint16_t{0x2000}, uint16_t{0x20FF});
  auto none = BuildReport(Load(dir / "r.cnf"), o);
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("PAS407E NO DASD UNIT IN 2000-20FF"), std::string::npos);
}

TEST(CalcdasdTest, MissingAndCorruptImagesAreCountedApart) {
  ScratchDir dir;
  MakeImage(dir / "good.ckd", 3339, "GOOD01");
  WriteFile(dir / "junk.ckd", std::string(4096, 'x'));
  MakeImage(dir / "trunc.ckd", 3339, "TRUNC1");
  ASSERT_EQ(::truncate((dir / "trunc.ckd").c_str(), 512 + 10 * kSlot3390 + 7), 0);
  MakeImage(dir / "nolabel.ckd", 3339, "NOLBL1");
  std::vector<uint8_t> t0;  // track 0 with R0 only: unlabelled
  Ha(t0, 0, 0);
  R0(t0, 0, 0);
  Eot(t0);
  t0.resize(400, 0);
  WriteTrackBytes(dir / "nolabel.ckd", 0, t0);
  MakeImage(dir / "good2.ckd", 3339, "GOOD02");  // one image cannot be two units
  WriteFile(dir / "c.cnf",
            "LPARNAME C\n0100 3390 good.ckd\n0101 3390 junk.ckd\n0102 3390 gone.ckd\n"
            "0103 3390 trunc.ckd\n0104 3390 nolabel.ckd\n0105 3380 good2.ckd\n");
  auto r = BuildReport(Load(dir / "c.cnf"), TestOptions(dir));
  ASSERT_OK(r);
  EXPECT_EQ(r->units_counted, 2);
  EXPECT_EQ(r->units_failed, 4);
  EXPECT_EQ(r->ConditionCode(), 8);
  EXPECT_FALSE(r->units[1].counted);
  EXPECT_NE(r->units[1].error.find("PAS402E UNIT 0101"), std::string::npos) << r->units[1].error;
  EXPECT_NE(r->units[2].error.find("PAS401E UNIT 0102"), std::string::npos) << r->units[2].error;
  EXPECT_NE(r->units[2].error.find("gone.ckd"), std::string::npos);
  EXPECT_FALSE(r->units[3].counted);
  EXPECT_NE(r->units[3].error.find("UNIT 0103"), std::string::npos) << r->units[3].error;
  EXPECT_TRUE(r->units[4].counted);
  ASSERT_EQ(r->units[4].warnings.size(), 1u);
  EXPECT_NE(r->units[4].warnings[0].find("PAS403W UNIT 0104 HAS NO VOL1 LABEL"), std::string::npos);
  EXPECT_NE(r->units[5].error.find("PAS409E UNIT 0105"), std::string::npos) << r->units[5].error;
  EXPECT_EQ(FindTotal(*r, "Total:")->cylinders, 2u * 3339);
  EXPECT_EQ(ModelCountOf(*r, "3390-3s"), 2);
  const std::string text = FormatReport(*r, true);
  EXPECT_NE(text.find("PAS401E UNIT 0102"), std::string::npos) << "SHORT still lists failures";
  EXPECT_NE(text.find("not counted  (image missing or corrupt): 4"), std::string::npos) << text;
  EXPECT_NE(text.find("Total:"), std::string::npos) << "the report completes";
}

TEST(CalcdasdTest, EstimateUsesVtocAllocatedTracksAndTheRate) {
  ScratchDir dir;
  {
    auto img = ckd::CkdImage::Create(dir / "vt.ckd", ckd::k3390Geometry, 30, false);
    ASSERT_OK(img);
    ASSERT_OK(ckd::FormatVolume(*img, "VTOC01", /*with_vtoc=*/true));
    ckd::DataSetSpec ds;
    ds.name = "SYS1.TEST.DATA";
    ds.tracks = 20;
    ASSERT_OK(ckd::AddDataSet(*img, ds));
  }
  MakeImage(dir / "raw.ckd", 10, "RAW001");
  WriteFile(dir / "e.cnf", "LPARNAME E\n0100 3390 vt.ckd\n0101 3390 raw.ckd\n");
  Options o = TestOptions(dir);
  o.rate_mbps = 50;
  auto r = BuildReport(Load(dir / "e.cnf"), o);
  ASSERT_OK(r);
  ASSERT_TRUE(r->units[0].counted) << r->units[0].error;
  EXPECT_TRUE(r->units[0].vtoc_present);
  // Track 0, the VTOC tracks and the data set's 20 tracks.
  EXPECT_GE(r->units[0].allocated_tracks, 21u);
  EXPECT_LT(r->units[0].allocated_tracks, 30u);
  EXPECT_FALSE(r->units[1].vtoc_present);
  EXPECT_EQ(r->units[1].allocated_tracks, 150u);
  EXPECT_EQ(r->volumes_without_vtoc, 1);
  EXPECT_EQ(r->total_tracks, 600u);
  EXPECT_EQ(r->allocated_tracks, r->units[0].allocated_tracks + 150);
  EXPECT_EQ(r->rate_source, "--rate");
  EXPECT_NEAR(r->seconds_total, 600 * 56664.0 / 50e6, 1e-9);
  EXPECT_NEAR(r->seconds_allocated, r->allocated_tracks * 56664.0 / 50e6, 1e-9);
  const std::string text = FormatReport(*r, false);
  EXPECT_NE(text.find("Copy rate:           50.0 MB/s (given with --rate)"), std::string::npos)
      << text;
  EXPECT_NE(text.find("Tracks on volumes:   600 (0.03 GB)"), std::string::npos) << text;
  EXPECT_NE(text.find("VTOC allocation of 1 volume, all tracks of 1 volume without a VTOC"),
            std::string::npos)
      << text;

  // Without --rate: the last copy rate measured by pas, from the history.
  o.rate_mbps = 0;
  auto def = BuildReport(Load(dir / "e.cnf"), o);
  ASSERT_OK(def);
  EXPECT_EQ(def->rate_source, "default");
  EXPECT_DOUBLE_EQ(def->rate_mbps, kDefaultRateMBps);
  report::HistoryRecord h;
  h.time = 1700000000;
  h.volser = "VM1887";
  h.function = "SWAP";
  h.status = "SWAPPED";
  h.copy_rate_mbps = 250.0;
  ASSERT_OK(report::AppendHistory(o.state_dir, h));
  auto hist = BuildReport(Load(dir / "e.cnf"), o);
  ASSERT_OK(hist);
  EXPECT_EQ(hist->rate_source, "history");
  EXPECT_DOUBLE_EQ(hist->rate_mbps, 250.0);
  EXPECT_NE(FormatReport(*hist, false).find("250.0 MB/s (last copy rate measured by pas)"),
            std::string::npos);
}

TEST(CalcdasdTest, CommandLineVmStyleAndOptions) {
  auto parse = [](std::vector<std::string> a) { return ParseCommandLine(a); };
  auto a = parse({"1880-1887", "(short"});
  ASSERT_OK(a);
  EXPECT_TRUE(a->short_form);
  ASSERT_TRUE(a->options.range.has_value());
  EXPECT_EQ(a->options.range->first, 0x1880);
  EXPECT_EQ(a->options.range->second, 0x1887);
  auto b = parse({"1880-1887(SHORT"});
  ASSERT_OK(b);
  EXPECT_TRUE(b->short_form);
  EXPECT_EQ(b->options.range->second, 0x1887);
  auto c = parse({"(", "Short", ")"});
  ASSERT_OK(c);
  EXPECT_TRUE(c->short_form);
  EXPECT_FALSE(c->options.range.has_value());
  for (auto args : std::vector<std::vector<std::string>>{
           {"help"}, {"(help"}, {"(", "HELP"}, {"--help"}, {"(h)"}}) {
    auto h = parse(args);
    ASSERT_OK(h);
    EXPECT_TRUE(h->help) << args[0];
  }
  auto d = parse(
      {"1887", "--config", "/x.cnf", "--json=/j.json", "--rate", "80.5", "--state-dir", "/s"});
  ASSERT_OK(d);
  EXPECT_EQ(d->options.range->first, 0x1887);
  EXPECT_EQ(d->options.range->second, 0x1887);
  EXPECT_EQ(d->config_path, "/x.cnf");
  EXPECT_EQ(d->json_path, "/j.json");
  EXPECT_DOUBLE_EQ(d->options.rate_mbps, 80.5);
  EXPECT_EQ(d->options.state_dir, "/s");
  for (auto args : std::vector<std::vector<std::string>>{{"1887-1880"},
                                                         {"(bogus"},
                                                         {"1880", "1881"},
                                                         {"--rate", "fast"},
                                                         {"--rate", "-1"},
                                                         {"--config"},
                                                         {"--nope"},
                                                         {"zz99"}}) {
    auto e = parse(args);
    ASSERT_FALSE(e.ok()) << args[0];
    EXPECT_NE(e.status().message().find("PAS408E"), std::string::npos) << e.status().message();
  }
}

TEST(CalcdasdTest, RealBinaryPrintsTheSeedReport) {
  ScratchDir dir;
  std::string cnf = MakeSeedSystem(dir);
  const std::vector<std::string> env = {"PAS_CONFIG=" + cnf, "PAS_STATE_DIR=" + (dir / "state")};

  auto help = ::pas::testing::Run({CALCDASD_BINARY, "(help"}, "", env, 60);
  EXPECT_EQ(help.exit_code, 0) << help.err;
  EXPECT_NE(help.out.find("Synopsis:"), std::string::npos) << help.out;
  EXPECT_NE(help.out.find("SHORT option:  Do not include QUERY DASD output"), std::string::npos);

  auto start = std::chrono::steady_clock::now();
  auto full =
      ::pas::testing::Run({CALCDASD_BINARY, "1880-1887", "--json", dir / "r.json"}, "", env, 60);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(full.exit_code, 0) << full.err;
  EXPECT_LT(secs, 30.0) << "reads only labels, VTOCs and the measured areas";
  EXPECT_NE(full.out.find("QUERY 1880-1887 output:"), std::string::npos);
  EXPECT_NE(full.out.find("DASD 1884 CP OWNED 63BPG1\n"), std::string::npos) << full.out;
  EXPECT_NE(full.out.find("Total:        80136    68.11\n"), std::string::npos) << full.out;
  EXPECT_NE(full.out.find("Copy rate:           100.0 MB/s (default"), std::string::npos)
      << full.out;
  const std::string json = ReadFile(dir / "r.json");
  EXPECT_NE(json.find("{\"type\":\"TOTAL\",\"cylinders\":80136,\"gb\":68.11}"), std::string::npos)
      << json;
  EXPECT_NE(json.find("\"condition_code\":0"), std::string::npos);

  auto shrt = ::pas::testing::Run({CALCDASD_BINARY, "(short"}, "", env, 60);
  EXPECT_EQ(shrt.exit_code, 0) << shrt.err;
  EXPECT_EQ(shrt.out.find("DASD 1880"), std::string::npos);
  EXPECT_NE(shrt.out.find("PAGE          10016     8.51    8.49\n"), std::string::npos) << shrt.out;

  ASSERT_EQ(::unlink((dir / "VM1887.ckd").c_str()), 0);
  auto broken = ::pas::testing::Run({CALCDASD_BINARY, "--short", "--config", cnf}, "",
                                    {"PAS_STATE_DIR=" + (dir / "state")}, 60);
  EXPECT_EQ(broken.exit_code, 8);
  EXPECT_NE(broken.err.find("PAS401E UNIT 1887"), std::string::npos) << broken.err;
  EXPECT_NE(broken.out.find("SYSTEM        30051    25.54\n"), std::string::npos) << broken.out;

  auto bad = ::pas::testing::Run({CALCDASD_BINARY, "(frobnicate"}, "", env, 60);
  EXPECT_EQ(bad.exit_code, 12);
  EXPECT_NE(bad.err.find("PAS408E"), std::string::npos);
  auto noconf = ::pas::testing::Run({CALCDASD_BINARY}, "", {"PAS_CONFIG="}, 60);
  EXPECT_EQ(noconf.exit_code, 12);
  EXPECT_NE(noconf.err.find("PAS168E"), std::string::npos) << noconf.err;
}

}  // namespace
}  // namespace pas::calcdasd
