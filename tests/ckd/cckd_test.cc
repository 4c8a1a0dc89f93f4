// Compressed (CCKD) images: volumes made by the Hercules tools (dasdinit
// -z / -bz2, dasdload -z, dasdcopy) read as their uncompressed copies made
// by dasdcopy; volumes pas writes pass `cckdcdsk -3` and read with dasdls
// and dasdseq; a writer killed at every write step leaves a file whose
// tracks read old-or-new and that cckdcdsk repairs without losing a track;
// corrupt tables and images are refused with Corruption.
#include "ckd/cckd.h"

#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "ckd/image.h"
#include "ckd/label.h"
#include "ckd/track.h"
#include "ckd/volume.h"
#include "ckd/vtoc.h"
#include "test_util.h"

namespace pas::ckd {
namespace {

using pas::testing::ReadFile;
using pas::testing::ScratchDir;
using pas::testing::WriteFile;

pas::testing::ProcessResult Exec(const std::vector<std::string>& argv) {
  return pas::testing::Run(argv);
}

// The data set names `dasdls IMAGE` lists (one per line after the banner).
std::vector<std::string> DasdlsNames(const std::string& image) {
  auto r = Exec({"dasdls", image});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> names;
  std::istringstream in(r.out);
  std::string line;
  while (std::getline(in, line)) {
    while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.pop_back();
    if (line.empty() || line.find(' ') != std::string::npos) continue;
    names.push_back(line);
  }
  return names;
}

// `cckdcdsk -3 -ro IMAGE`: what it says (empty: nothing to report).
std::string Cdsk(const std::string& image, bool force = false) {
  std::vector<std::string> argv{"cckdcdsk", "-3", "-ro"};
  if (force) argv.insert(argv.begin() + 1, "-f");
  argv.push_back(image);
  auto r = Exec(argv);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.out + r.err;
}

// dasdcopy IN OUT: the uncompressed copy Hercules makes of a compressed volume.
std::string Uncompressed(const ScratchDir& d, const std::string& in, const std::string& name) {
  const std::string out = d / name;
  auto r = pas::testing::RunDasdcopy({in, out});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  return out;
}

void ExpectSameVolume(const std::string& a, const std::string& b) {
  auto ia = CkdImage::Open(a, false);
  ASSERT_OK(ia);
  auto ib = CkdImage::Open(b, false);
  ASSERT_OK(ib);
  ASSERT_EQ(ia->tracks(), ib->tracks());
  auto cmp = CompareVolumes(*ia, *ib, 5);
  ASSERT_OK(cmp);
  EXPECT_TRUE(cmp->equal) << cmp->differing_tracks << " tracks differ, first "
                          << (cmp->diffs.empty() ? std::string() : cmp->diffs[0].reason);
}

std::string DasdloadCompressed(const ScratchDir& d) {
  WriteFile(d / "hello.txt", "HELLO WORLD\nSECOND LINE\nTHIRD LINE\n");
  std::string seq;
  for (int i = 0; i < 80 * 90; ++i) seq += static_cast<char>(i * 7 % 251);
  WriteFile(d / "seq80.bin", seq);
  WriteFile(d / "vol.ctl",
            "TEST01 3390-1 10\n"
            "SYS1.VTOC         VTOC               TRK   5\n"
            "TEST.TEXT.DATA    TEXT   " + d / "hello.txt" +
                "   TRK   1   1   0   PS    FB    80    800     0\n"
                "TEST.SEQ.DATA     SEQ    " + d / "seq80.bin" +
                "   TRK   3   1   0   PS    FB    80    3120    0\n"
                "TEST.EMPTY.PS     EMPTY              CYL   1   0   0   PS    VB    255   3120    0\n"
                "TEST.EMPTY.PDS    EMPTY              TRK   3   1   5   PO    FB    80    3120    0\n");
  const std::string p = d / "load.cckd";
  auto r = Exec({"dasdload", "-z", d / "vol.ctl", p, "0"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  return p;
}

// A 3390 volume with a VTOC and a data set of `records` generated records.
void BuildVolume(CkdImage& img, uint64_t records) {
  ASSERT_OK(FormatVolume(img, "CCK001", true));
  DataSetSpec spec;
  spec.name = "PAS.CCKD.DATA";
  spec.tracks = 30;
  spec.records = records;
  spec.fill = [](uint64_t i, std::span<uint8_t> rec) {
    for (size_t k = 0; k < rec.size(); ++k) rec[k] = static_cast<uint8_t>((i * 31 + k * 7) % 256);
  };
  ASSERT_OK(AddDataSet(img, spec));
  ASSERT_OK(img.Sync());
}

TEST(CckdOracleTest, DasdinitZlibAndBzip2ReadAsTheirUncompressedCopies) {
  ScratchDir d;
  for (const char* opt : {"-z", "-bz2"}) {
    SCOPED_TRACE(opt);
    const std::string c = d / (std::string("v") + opt + ".cckd");
    auto r = Exec({"dasdinit", opt, c, "3390-1", "VOLZ01", "20"});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    auto img = CkdImage::Open(c, false);
    ASSERT_OK(img);
    EXPECT_TRUE(img->compressed());
    EXPECT_EQ(img->cylinders(), 20u);
    auto label = ReadVolumeLabel(*img);
    ASSERT_OK(label);
    EXPECT_EQ(label->volser, "VOLZ01");
    ExpectSameVolume(c, Uncompressed(d, c, std::string("u") + opt + ".ckd"));
  }
}

TEST(CckdOracleTest, DasdloadVolumeListsAsDasdlsAndReadsAsItsCopy) {
  ScratchDir d;
  const std::string c = DasdloadCompressed(d);
  auto info = DescribeVolume(c);
  ASSERT_OK(info);
  EXPECT_TRUE(info->compressed);
  EXPECT_EQ(info->volser, "TEST01");
  std::vector<std::string> names;
  for (const DataSet& ds : info->datasets) names.push_back(ds.name);
  EXPECT_EQ(names, DasdlsNames(c));
  EXPECT_GT(info->space.stored_tracks, 2u);
  EXPECT_GT(info->space.null_tracks, 0u);
  ExpectSameVolume(c, Uncompressed(d, c, "load.ckd"));
}

TEST(CckdOracleTest, DasdcopyCompressedCopyReadsAsTheOriginal) {
  ScratchDir d;
  auto plain = CkdImage::Create(d / "plain.ckd", k3390Geometry, 10, false);
  ASSERT_OK(plain);
  BuildVolume(*plain, 900);
  for (const char* opt : {"-z", "-bz2"}) {
    SCOPED_TRACE(opt);
    const std::string c = d / (std::string("copy") + opt + ".cckd");
    auto r = pas::testing::RunDasdcopy({opt, d / "plain.ckd", c});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    ExpectSameVolume(d / "plain.ckd", c);
  }
}

TEST(CckdWriteTest, PasVolumesPassCckdcdskListWithDasdlsAndReadWithDasdseq) {
  ScratchDir d;
  auto plain = CkdImage::Create(d / "plain.ckd", k3390Geometry, 10, false);
  ASSERT_OK(plain);
  BuildVolume(*plain, 900);
  for (Compression c : {Compression::kZlib, Compression::kBzip2, Compression::kNone}) {
    const std::string name = std::string(CompressionName(c));
    SCOPED_TRACE(name);
    const std::string p = d / (name + ".cckd");
    {
      auto img = CkdImage::CreateCompressed(p, k3390Geometry, 10, c);
      ASSERT_OK(img);
      BuildVolume(*img, 900);
    }
    EXPECT_EQ(Cdsk(p), "");
    EXPECT_EQ(DasdlsNames(p), std::vector<std::string>{"PAS.CCKD.DATA"});
    ExpectSameVolume(d / "plain.ckd", p);
    // dasdseq of the compressed volume gives the bytes of the plain one.
    const std::string out_dir = d / ("seq-" + name);
    ASSERT_EQ(::mkdir(out_dir.c_str(), 0700), 0);
    auto r = pas::testing::Run({"sh", "-c", "cd " + out_dir + " && dasdseq " + p + " PAS.CCKD.DATA"});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    const std::string got = ReadFile(out_dir + "/PAS.CCKD.DATA");
    EXPECT_EQ(got.size(), 900u * 80);
    for (size_t k = 0; k < 200; ++k) {
      ASSERT_EQ(static_cast<uint8_t>(got[80 * 3 + k % 80]), static_cast<uint8_t>((3 * 31 + (k % 80) * 7) % 256));
    }
    // And the uncompressed copy dasdcopy makes of it equals the plain volume.
    ExpectSameVolume(d / "plain.ckd", Uncompressed(d, p, name + "-u.ckd"));
  }
}

TEST(CckdWriteTest, CompressionLevelIsKeptInTheHeaderAndEveryLevelChecksInHercules) {
  ScratchDir d;
  auto plain = CkdImage::Create(d / "plain.ckd", k3390Geometry, 10, false);
  ASSERT_OK(plain);
  BuildVolume(*plain, 900);
  std::map<int, uint64_t> size;
  for (int level : {-1, 0, 1, 6, 9}) {
    SCOPED_TRACE(level);
    const std::string p = d / ("z" + std::to_string(level) + ".cckd");
    {
      auto img = CkdImage::CreateCompressed(p, k3390Geometry, 10, Compression::kZlib, level);
      ASSERT_OK(img);
      BuildVolume(*img, 900);
      ASSERT_OK(img->Sync());
      EXPECT_EQ(img->cckd()->compression_level(), level);
    }
    auto again = CkdImage::Open(p, false);
    ASSERT_OK(again);
    EXPECT_EQ(again->cckd()->compression_level(), level);
    EXPECT_EQ(Cdsk(p), "");
    ExpectSameVolume(d / "plain.ckd", p);
    struct stat st{};
    ASSERT_EQ(::stat(p.c_str(), &st), 0);
    size[level] = static_cast<uint64_t>(st.st_size);
  }
  // The level is used: 0 stores, 9 compresses hardest, the default is 6.
  EXPECT_GT(size[0], size[1]);
  EXPECT_GT(size[1], size[9]);
  EXPECT_EQ(size[-1], size[6]);
}

TEST(CckdWriteTest, RewrittenTracksReadBackAndTheFileStaysCheckable) {
  ScratchDir d;
  const std::string p = d / "rw.cckd";
  auto img = CkdImage::CreateCompressed(p, k3390Geometry, 5, Compression::kZlib);
  ASSERT_OK(img);
  ASSERT_OK(FormatVolume(*img, "RW0001", false));
  const DeviceGeometry& g = img->geometry();
  std::vector<uint8_t> slot(g.slot_size), back(g.slot_size);
  for (int round = 0; round < 4; ++round) {
    for (uint32_t t = 1; t < img->tracks(); t += 3) {
      TrackBuilder b(g, t);
      std::vector<uint8_t> data(4000 + 100 * round);
      for (size_t k = 0; k < data.size(); ++k) data[k] = static_cast<uint8_t>(t + k * round);
      ASSERT_OK(b.AddRecord(1, {}, data));
      ASSERT_OK(b.Finish(slot));
      ASSERT_OK(img->WriteTrack(t, slot));
      ASSERT_OK(img->ReadTrack(t, back));
      ASSERT_TRUE(SameTrackContent(slot, back)) << "track " << t << " round " << round;
    }
    ASSERT_OK(img->Sync());
    EXPECT_EQ(Cdsk(p), "") << "round " << round;
  }
  auto space = img->cckd()->Space();
  ASSERT_OK(space);
  EXPECT_GT(space->free_blocks, 0u);  // rewrites leave the old images as free space
  // Reopened, the free-space table is valid and the tracks are the same.
  auto again = CkdImage::Open(p, true);
  ASSERT_OK(again);
  ASSERT_OK(again->ReadTrack(4, back));
  ASSERT_OK(img->ReadTrack(4, slot));
  EXPECT_TRUE(SameTrackContent(slot, back));
}

// A real writer (`pas volume copy` compressing a 20-cylinder volume whose
// every track holds data, two L2 tables' worth, with two worker threads)
// is killed at each write step of CckdFile (fault points, doc/ckd-format.md
// section 7). Every track must then read as the null track the target
// started with or as the source's track, cckdcdsk must find no damaged
// table or image, and after its repair (what Hercules does at open) the
// file is clean.
TEST(CckdCrashTest, WriterKilledAtEveryStepLeavesOldOrNewTracksAndARepairableFile) {
  ScratchDir d;
  const std::string src = d / "src.ckd";
  {
    auto img = CkdImage::Create(src, k3390Geometry, 20, false);
    ASSERT_OK(img);
    ASSERT_OK(FormatVolume(*img, "KILL01", false));
    const DeviceGeometry& g = img->geometry();
    std::vector<uint8_t> slot(g.slot_size);
    for (uint32_t t = 1; t < img->tracks(); ++t) {
      TrackBuilder b(g, t);
      std::vector<uint8_t> data(2000 + t % 7 * 300);
      for (size_t k = 0; k < data.size(); ++k) data[k] = static_cast<uint8_t>(t * 3 + k % 11);
      ASSERT_OK(b.AddRecord(1, {}, data));
      ASSERT_OK(b.Finish(slot));
      ASSERT_OK(img->WriteTrack(t, slot));
    }
  }
  auto source = CkdImage::Open(src, false);
  ASSERT_OK(source);
  const std::vector<std::string> faults = {
      "cckd.after_opened:1",  "cckd.after_image:1",      "cckd.after_image:9",
      "cckd.after_l2table:1", "cckd.after_l2table:2",    "cckd.after_l2:3",
      "cckd.after_l2:11",     "cckd.harden_after_table:1", "cckd.harden_after_header:1"};
  for (const std::string& fault : faults) {
    SCOPED_TRACE(fault);
    const std::string p = d / "k.cckd";
    ::unlink(p.c_str());
    auto r = pas::testing::Run({PAS_BINARY, "volume", "copy", src, p, "--compress", "zlib",
                                "--threads", "2"},
                               "", {"PAS_FAULT_POINT=" + fault}, 120);
    ASSERT_EQ(r.exit_code, 128 + SIGKILL) << r.out << r.err;
    {
      auto img = CkdImage::Open(p, false);
      ASSERT_OK(img);
      const DeviceGeometry& g = img->geometry();
      std::vector<uint8_t> slot(g.slot_size), want(g.slot_size);
      uint32_t copied = 0;
      for (uint32_t t = 0; t < img->tracks(); ++t) {
        ASSERT_OK(img->ReadTrack(t, slot));
        ASSERT_OK(source->ReadTrack(t, want));
        if (SameTrackContent(slot, want)) {
          ++copied;
        } else {
          std::vector<uint8_t> null(g.slot_size);
          ASSERT_OK(BuildNullTrack(g, t, 1, null));
          EXPECT_TRUE(SameTrackContent(slot, null)) << "track " << t << " is neither old nor new";
        }
      }
      if (fault.rfind("cckd.harden", 0) == 0) EXPECT_EQ(copied, img->tracks());
    }
    // cckdcdsk finds no damaged track or table; at most free space to rebuild.
    const std::string before = Cdsk(p, /*force=*/true);
    for (const char* bad : {"HHCCU602", "HHCCU603", "HHCCU604", "HHCCU620", "HHCCU621",
                            "HHCCU622", "recovered"}) {
      EXPECT_EQ(before.find(bad), std::string::npos) << before;
    }
    // Repaired (as Hercules does at open), the file is clean and holds the same tracks.
    auto fix = Exec({"cckdcdsk", "-f", "-3", p});
    EXPECT_EQ(fix.exit_code, 0);
    EXPECT_EQ(Cdsk(p), "");
  }
}

// ---- Corrupt inputs ----

struct Built {
  std::string path;
  uint32_t l2pos = 0;   // the L2 table of tracks 0-255
  uint32_t t1pos = 0;   // the image of track 1
  uint16_t t1len = 0;
};

Built BuildSmall(const ScratchDir& d) {
  Built b;
  b.path = d / "c.cckd";
  auto img = CkdImage::CreateCompressed(b.path, k3390Geometry, 5, Compression::kZlib);
  EXPECT_OK(img);
  if (!img.ok()) return b;
  EXPECT_OK(FormatVolume(*img, "BAD001", true));
  EXPECT_OK(img->Sync());
  const std::string bytes = ReadFile(b.path);
  auto le32 = [&](size_t off) {
    uint32_t v;
    std::memcpy(&v, bytes.data() + off, 4);
    return v;
  };
  b.l2pos = le32(kCckdL1Offset);
  b.t1pos = le32(b.l2pos + 8);
  uint16_t len;
  std::memcpy(&len, bytes.data() + b.l2pos + 12, 2);
  b.t1len = len;
  return b;
}

void PatchLe32(const std::string& path, uint64_t off, uint32_t v) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(static_cast<std::streamoff>(off));
  f.write(reinterpret_cast<const char*>(&v), 4);
}

Status OpenAndReadAll(const std::string& path) {
  PAS_ASSIGN_OR_RETURN(CkdImage img, CkdImage::Open(path, false));
  std::vector<uint8_t> buf(size_t{img.slot_size()} * img.geometry().heads);
  for (uint32_t c = 0; c < img.cylinders(); ++c) {
    PAS_RETURN_IF_ERROR(img.ReadTracks(c * img.geometry().heads, img.geometry().heads, buf));
  }
  return Status::Ok();
}

TEST(CckdCorruptTest, TheBuiltVolumeIsGood) {
  ScratchDir d;
  Built b = BuildSmall(d);
  ASSERT_GT(b.l2pos, kCckdL1Offset);
  ASSERT_GT(b.t1len, 37);  // the VTOC track is stored
  EXPECT_OK(OpenAndReadAll(b.path));
  EXPECT_EQ(Cdsk(b.path), "");
}

TEST(CckdCorruptTest, L1EntryOutsideTheFileIsCorruption) {
  ScratchDir d;
  Built b = BuildSmall(d);
  PatchLe32(b.path, kCckdL1Offset, 0x7FFFFF00);
  Status s = OpenAndReadAll(b.path);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.message().find("L1 entry 0"), std::string::npos) << s.ToString();
}

TEST(CckdCorruptTest, L2EntryOutsideTheFileIsCorruption) {
  ScratchDir d;
  Built b = BuildSmall(d);
  PatchLe32(b.path, b.l2pos + 8, 0x7FFFFF00);
  Status s = OpenAndReadAll(b.path);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.message().find("entry 1 (track 1)"), std::string::npos) << s.ToString();
}

TEST(CckdCorruptTest, OverlappingImagesAreCorruption) {
  ScratchDir d;
  Built b = BuildSmall(d);
  PatchLe32(b.path, b.l2pos + 8, b.l2pos + 4);  // track 1's image inside the L2 table
  Status s = OpenAndReadAll(b.path);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
}

TEST(CckdCorruptTest, TruncatedTrackImageIsCorruption) {
  ScratchDir d;
  Built b = BuildSmall(d);
  ASSERT_EQ(::truncate(b.path.c_str(), b.t1pos + b.t1len / 2), 0);
  Status s = OpenAndReadAll(b.path);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
}

TEST(CckdCorruptTest, ImageThatDoesNotInflateIsCorruption) {
  ScratchDir d;
  Built b = BuildSmall(d);
  {
    std::string bytes = ReadFile(b.path);
    ASSERT_EQ(bytes[b.t1pos], 1) << "track 1 is zlib-compressed";
    for (uint32_t k = 8; k < b.t1len; ++k) bytes[b.t1pos + k] = static_cast<char>(0x5A ^ k);
    WriteFile(b.path, bytes);
  }
  Status s = OpenAndReadAll(b.path);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.message().find("does not inflate"), std::string::npos) << s.ToString();
}

TEST(CckdCorruptTest, FreeSpaceChainLoopIsCorruption) {
  ScratchDir d;
  Built b = BuildSmall(d);
  // An old-format chain of two blocks pointing at each other.
  const std::string bytes = ReadFile(b.path);
  const uint32_t end = static_cast<uint32_t>(bytes.size());
  WriteFile(b.path, bytes + std::string(64, '\0'));
  PatchLe32(b.path, end, end + 32);       // block 1: next = block 2
  PatchLe32(b.path, end + 4, 32);
  PatchLe32(b.path, end + 32, end);       // block 2: next = block 1
  PatchLe32(b.path, end + 36, 32);
  PatchLe32(b.path, kCckdHeaderOffset + 20, end);  // free
  PatchLe32(b.path, kCckdHeaderOffset + 32, 3);    // free_number
  Status s = OpenAndReadAll(b.path);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.message().find("loops"), std::string::npos) << s.ToString();
}

TEST(CckdCorruptTest, ShadowFileIsNotSupportedNamingTheOption) {
  ScratchDir d;
  Built b = BuildSmall(d);
  std::string bytes = ReadFile(b.path);
  std::memcpy(bytes.data(), "CKD_S370", 8);
  WriteFile(b.path, bytes);
  auto img = CkdImage::Open(b.path, false);
  ASSERT_FALSE(img.ok());
  EXPECT_EQ(img.status().kind(), Status::Kind::kNotSupported);
  EXPECT_NE(img.status().message().find("sf="), std::string::npos);
}

// The write map an intercept uses: pas's own writes, replayed as byte
// writes, name exactly the tracks written.
TEST(CckdWriteMapTest, L2AndL1WritesNameTheirTracksAndImagesNone) {
  ScratchDir d;
  Built b = BuildSmall(d);
  int fd = ::open(b.path.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  auto m = CckdWriteMap::Load(fd, k3390Geometry);
  ::close(fd);
  ASSERT_OK(m);
  uint8_t entry[8] = {};
  EXPECT_EQ(m->TracksWritten(b.l2pos + 8 * 5, entry), (std::vector<uint32_t>{5}));
  std::vector<uint8_t> three(24);
  EXPECT_EQ(m->TracksWritten(b.l2pos + 8 * 3 + 4, three), (std::vector<uint32_t>{3, 4, 5, 6}));
  std::vector<uint8_t> image(300);
  EXPECT_TRUE(m->TracksWritten(b.t1pos, image).empty());  // a track image alone changes nothing
  EXPECT_TRUE(m->TracksWritten(kCckdHeaderOffset, image).empty());
  // A new L1 entry: every track of its table (here the volume's 75).
  uint8_t l1e[4] = {0x00, 0x40, 0, 0};
  auto all = m->TracksWritten(kCckdL1Offset, l1e);
  ASSERT_EQ(all.size(), 75u);
  EXPECT_EQ(all.front(), 0u);
  // The map follows the L1 write: the old table no longer maps, the new does.
  EXPECT_TRUE(m->TracksWritten(b.l2pos + 8 * 5, entry).empty());
  EXPECT_EQ(m->TracksWritten(0x4000 + 8 * 7, entry), (std::vector<uint32_t>{7}));
}


// With the bytes the file holds before the write: only changed entries
// count, so Hercules' rewrite of a whole table marks what changed in it.
TEST(CckdWriteMapTest, UnchangedEntriesOfARewrittenTableMarkNothing) {
  ScratchDir d;
  Built b = BuildSmall(d);
  int fd = ::open(b.path.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  auto m = CckdWriteMap::Load(fd, k3390Geometry);
  ASSERT_OK(m);
  std::vector<uint8_t> table(kCckdL2TableSize);
  ASSERT_EQ(::pread(fd, table.data(), table.size(), b.l2pos), static_cast<ssize_t>(table.size()));
  std::vector<uint8_t> l1(4);
  ASSERT_EQ(::pread(fd, l1.data(), 4, kCckdL1Offset), 4);
  ::close(fd);
  EXPECT_TRUE(m->TouchesTables(b.l2pos + 100, 8));
  EXPECT_TRUE(m->TouchesTables(kCckdL1Offset, 4));
  EXPECT_FALSE(m->TouchesTables(b.t1pos, 300));
  // The whole table rewritten as it is: nothing; with entries 9 and 40
  // changed: exactly those.
  std::vector<uint8_t> now = table;
  EXPECT_TRUE(m->TracksWritten(b.l2pos, now, table).empty());
  now[9 * 8 + 1] ^= 1;
  now[40 * 8 + 6] ^= 1;
  EXPECT_EQ(m->TracksWritten(b.l2pos, now, table), (std::vector<uint32_t>{9, 40}));
  // Against the overload without `old`: a superset (every entry in range).
  EXPECT_EQ(m->TracksWritten(b.l2pos, now).size(), 75u);
  // The L1 entry rewritten unchanged: nothing; pointed elsewhere: its table.
  EXPECT_TRUE(m->TracksWritten(kCckdL1Offset, l1, l1).empty());
  std::vector<uint8_t> moved = {0x00, 0x40, 0, 0};
  EXPECT_EQ(m->TracksWritten(kCckdL1Offset, moved, l1).size(), 75u);
  EXPECT_TRUE(m->TouchesTables(0x4000, 8));
  EXPECT_FALSE(m->TouchesTables(b.l2pos, 8));
}

}  // namespace
}  // namespace pas::ckd
