// Volumes against the Hercules tools as the external oracle: dasdinit and
// dasdload build volumes that src/ckd must read as dasdls does; volumes
// that pas writes must be read by dasdls, dasdseq; VTOC errors, ResizeVtoc,
// CompareVolumes and the `pas volume` commands.
#include "ckd/volume.h"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "ckd/dscb.h"
#include "ckd/ebcdic.h"
#include "ckd/fresh.h"
#include "ckd/image.h"
#include "ckd/label.h"
#include "ckd/track.h"
#include "ckd/vtoc.h"
#include "test_util.h"

namespace pas::ckd {
namespace {

using pas::testing::ScratchDir;
using ProcessArgs = std::vector<std::string>;
pas::testing::ProcessResult Exec(const ProcessArgs& argv) { return pas::testing::Run(argv); }

struct ListedDataSet {
  std::string name, dsorg, recfm;
  uint32_t lrecl = 0, blksize = 0, keylen = 0, tracks = 0, extents = 0;
};

// `dasdls -info IMAGE`: the data sets it lists (stdout), failing the test
// on a diagnostic on stderr.
std::vector<ListedDataSet> DasdlsInfo(const std::string& image,
                                      std::string* volser_line = nullptr) {
  auto r = Exec({"dasdls", "-info", image});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err.find("not found"), std::string::npos) << r.err;
  std::vector<ListedDataSet> out;
  std::istringstream in(r.out);
  std::string line;
  bool seen_header = false;
  while (std::getline(in, line)) {
    if (line.find("VOLSER=") != std::string::npos) {
      seen_header = true;
      if (volser_line) *volser_line = line;
      continue;
    }
    std::istringstream f(line);
    std::vector<std::string> t;
    std::string w;
    while (f >> w) t.push_back(w);
    // NAME CREDT ORG RECFM [LRECL] BLKSZ KEY TRKS %USE #EXT UNITS SEC: a
    // zero LRECL is printed blank, so count from the right.
    const size_t n = t.size();
    if (n < 11) continue;
    ListedDataSet d;
    d.name = t[0];
    d.dsorg = t[2];
    d.recfm = t[3];
    d.lrecl = n >= 12 ? static_cast<uint32_t>(std::stoul(t[n - 8])) : 0;
    d.blksize = static_cast<uint32_t>(std::stoul(t[n - 7]));
    d.keylen = static_cast<uint32_t>(std::stoul(t[n - 6]));
    d.tracks = static_cast<uint32_t>(std::stoul(t[n - 5]));
    d.extents = static_cast<uint32_t>(std::stoul(t[n - 3]));
    out.push_back(d);
  }
  EXPECT_TRUE(seen_header) << r.out << r.err;
  return out;
}

void ExpectSameDataSets(const Vtoc& v, const std::vector<ListedDataSet>& listed) {
  ASSERT_EQ(v.datasets.size(), listed.size());
  for (size_t i = 0; i < listed.size(); ++i) {
    const DataSet& d = v.datasets[i];
    SCOPED_TRACE(listed[i].name);
    EXPECT_EQ(d.name, listed[i].name);
    EXPECT_EQ(d.dsorg, listed[i].dsorg);
    EXPECT_EQ(d.recfm, listed[i].recfm);
    EXPECT_EQ(d.lrecl, listed[i].lrecl);
    EXPECT_EQ(d.blksize, listed[i].blksize);
    EXPECT_EQ(d.keylen, listed[i].keylen);
    EXPECT_EQ(d.tracks, listed[i].tracks);
    EXPECT_EQ(d.extents.size(), listed[i].extents);
  }
}

std::string Dasdinit(const ScratchDir& dir, const std::string& name, const std::string& volser,
                     int cyls) {
  const std::string p = dir / name;
  auto r = Exec({"dasdinit", p, "3390-1", volser, std::to_string(cyls)});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  return p;
}

// A dasdload volume with TEXT, SEQ and EMPTY PS/PO data sets.
std::string Dasdload(const ScratchDir& dir) {
  pas::testing::WriteFile(dir / "hello.txt", "HELLO WORLD\nSECOND LINE\nTHIRD LINE\n");
  std::string seq;
  for (int i = 0; i < 80 * 90; ++i) seq += static_cast<char>(i * 7 % 251);
  pas::testing::WriteFile(dir / "seq80.bin", seq);
  pas::testing::WriteFile(
      dir / "vol.ctl",
      "TEST01 3390-1 10\n"
      "SYS1.VTOC         VTOC               TRK   5\n"
      "TEST.TEXT.DATA    TEXT   " +
          dir / "hello.txt" +
          "   TRK   1   1   0   PS    FB    80    800     0\n"
          "TEST.SEQ.DATA     SEQ    " +
          dir / "seq80.bin" +
          "   TRK   3   1   0   PS    FB    80    3120    0\n"
          "TEST.EMPTY.PS     EMPTY              CYL   1   0   0   PS    VB    255   3120    0\n"
          "TEST.EMPTY.PDS    EMPTY              TRK   3   1   5   PO    FB    80    3120    0\n"
          "TEST.DA.DATA      EMPTY              TRK   2   0   0   DA    U     0     6144    0\n");
  const std::string p = dir / "load.ckd";
  auto r = Exec({"dasdload", dir / "vol.ctl", p, "0"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  return p;
}

TEST(OracleTest, DasdinitVolumeHasNoVtoc) {
  ScratchDir dir;
  const std::string p = Dasdinit(dir, "d.ckd", "VOL001", 20);
  auto img = CkdImage::Open(p, false);
  ASSERT_OK(img);
  EXPECT_EQ(img->cylinders(), 20u);
  auto label = ReadVolumeLabel(*img);
  ASSERT_OK(label);
  EXPECT_EQ(label->volser, "VOL001");
  EXPECT_EQ(label->vtoc_cchh, (Cchh{0, 1}));
  EXPECT_EQ(label->vtoc_record, 1);
  EXPECT_EQ(label->security, 0x40);
  auto vtoc = ReadVtoc(*img);
  ASSERT_OK(vtoc);
  EXPECT_FALSE(vtoc->present);
  EXPECT_EQ(vtoc->allocated.Count(), 1u);
  EXPECT_EQ(TracksToCopy(*vtoc, img->tracks()).Count(), 300u);
  std::vector<uint8_t> slot(img->slot_size());
  for (uint32_t t = 0; t < img->tracks(); ++t) {
    ASSERT_OK(img->ReadTrack(t, slot));
    ASSERT_OK(ValidateTrack(slot, img->geometry(), t));
    EXPECT_EQ(IsEmptyTrack(slot), t != 0) << t;
  }
}

TEST(OracleTest, PasInitIsDasdinitSlotForSlot) {
  ScratchDir dir;
  const std::string d = Dasdinit(dir, "d.ckd", "VOL001", 20);
  const std::string p = dir / "p.ckd";
  auto r = Exec({PAS_BINARY, "volume", "init", p, "--model", "3390-1", "--volser", "VOL001",
                 "--cylinders", "20"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("PAS100I"), std::string::npos);
  const std::string a = pas::testing::ReadFile(d), b = pas::testing::ReadFile(p);
  ASSERT_EQ(a.size(), b.size());
  EXPECT_TRUE(a == b) << "pas volume init differs from dasdinit";
}

TEST(OracleTest, PasInitWithVtocIsReadByDasdls) {
  ScratchDir dir;
  const std::string p = dir / "v.ckd";
  auto r =
      Exec({PAS_BINARY, "volume", "init", p, "--volser", "VOL002", "--cylinders", "20", "--vtoc"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string header;
  EXPECT_TRUE(DasdlsInfo(p, &header).empty());
  EXPECT_NE(header.find("VOLSER=VOL002"), std::string::npos) << header;
  auto img = CkdImage::Open(p, false);
  ASSERT_OK(img);
  auto v = ReadVtoc(*img);
  ASSERT_OK(v);
  EXPECT_TRUE(v->present);
  EXPECT_EQ(v->f4_cylinders, 20u);
  EXPECT_EQ(v->allocated.Count(), 1u + kVtocTracks);
  EXPECT_EQ(v->free_tracks(), 300u - 1 - kVtocTracks);
}

TEST(OracleTest, DasdloadVolumeReadsLikeDasdls) {
  ScratchDir dir;
  const std::string p = Dasdload(dir);
  auto img = CkdImage::Open(p, false);
  ASSERT_OK(img);
  auto v = ReadVtoc(*img);
  ASSERT_OK(v);
  ASSERT_TRUE(v->present);
  auto listed = DasdlsInfo(p);
  ASSERT_EQ(listed.size(), 5u);
  ExpectSameDataSets(*v, listed);
  uint32_t ds_tracks = 0;
  for (const auto& d : v->datasets) ds_tracks += d.tracks;
  EXPECT_EQ(v->allocated.Count(), 1u + 5 + ds_tracks);  // track 0, VTOC, data sets
  EXPECT_EQ(v->free_tracks(), 150u - v->allocated.Count());
  EXPECT_EQ(v->vtoc_extent.tracks(img->geometry()), 5u);
  // Every allocated track is a well-formed track.
  std::vector<uint8_t> slot(img->slot_size());
  for (uint32_t t = 0; t < img->tracks(); ++t) {
    ASSERT_OK(img->ReadTrack(t, slot));
    ASSERT_OK(ValidateTrack(slot, img->geometry(), t));
  }
  auto info = DescribeVolume(p);
  ASSERT_OK(info);
  EXPECT_EQ(info->volser, "TEST01");
  EXPECT_EQ(info->datasets.size(), 5u);
}

TEST(OracleTest, DemoVolumeDataSetsReadByDasdlsAndDasdseq) {
  ScratchDir dir;
  const std::string p = dir / "demo.ckd";
  ASSERT_OK(BuildDemoVolume(p, "DEMO01", 30));
  auto img = CkdImage::Open(p, false);
  ASSERT_OK(img);
  auto v = ReadVtoc(*img);
  ASSERT_OK(v);
  ExpectSameDataSets(*v, DasdlsInfo(p));
  ASSERT_EQ(v->datasets.size(), 3u);
  EXPECT_EQ(v->datasets[0].name, "PAS.DEMO.TEXT");
  // dasdseq writes the data set into the current directory.
  auto r = Exec({"sh", "-c", "cd '" + dir.path() + "' && dasdseq -ascii demo.ckd PAS.DEMO.TEXT"});
  EXPECT_NE((r.out + r.err).find("wrote 1000 records"), std::string::npos) << r.out << r.err;
  const std::string text = pas::testing::ReadFile(dir / "PAS.DEMO.TEXT");
  EXPECT_NE(text.find("PAS.DEMO.TEXT RECORD 00000001"), std::string::npos);
  EXPECT_NE(text.find("PAS.DEMO.TEXT RECORD 00001000"), std::string::npos);
}

TEST(VolumeLabelTest, WriteVolserChangesOnlyTheVolser) {
  ScratchDir dir;
  const std::string p = dir / "l.ckd";
  auto img = CkdImage::Create(p, k3390Geometry, 2, false);
  ASSERT_OK(img);
  ASSERT_OK(FormatVolume(*img, "OLD001", true));
  std::vector<uint8_t> before(img->slot_size()), after(img->slot_size());
  ASSERT_OK(img->ReadTrack(0, before));
  ASSERT_OK(WriteVolser(*img, "NEW#$@"));
  ASSERT_OK(img->ReadTrack(0, after));
  size_t changed = 0;
  for (size_t i = 0; i < before.size(); ++i) changed += before[i] != after[i];
  EXPECT_EQ(changed, 6u);
  EXPECT_EQ(ReadVolumeLabel(*img)->volser, "NEW#$@");
  EXPECT_TRUE(WriteVolser(*img, "TOOLONG1").IsInvalidArgument());
  EXPECT_TRUE(WriteVolser(*img, "low").IsInvalidArgument());
  auto r = Exec({"dasdls", p});
  EXPECT_NE(r.out.find("VOLSER=NEW#$@"), std::string::npos) << r.out << r.err;
}

TEST(VolumeLabelTest, VolserRules) {
  EXPECT_TRUE(IsValidVolser("A"));
  EXPECT_TRUE(IsValidVolser("VM1887"));
  EXPECT_TRUE(IsValidVolser("@#$123"));
  EXPECT_FALSE(IsValidVolser(""));
  EXPECT_FALSE(IsValidVolser("VM18877"));
  EXPECT_FALSE(IsValidVolser("vm1887"));
  EXPECT_FALSE(IsValidVolser("VM 887"));
  EXPECT_EQ(EbcdicToAscii(AsciiToEbcdic("VOL1 @#$ abc.9")), "VOL1 @#$ abc.9");
  EXPECT_EQ(AsciiToEbcdic("VOL1"), (std::vector<uint8_t>{0xE5, 0xD6, 0xD3, 0xF1}));
}

TEST(VolumeLabelTest, UnlabelledVolume) {
  ScratchDir dir;
  auto img = CkdImage::Create(dir / "u.ckd", k3390Geometry, 1, false);
  ASSERT_OK(img);
  std::vector<uint8_t> slot(img->slot_size());
  for (uint32_t t = 0; t < 15; ++t) {
    BuildEmptyTrack(img->geometry(), t, slot);
    ASSERT_OK(img->WriteTrack(t, slot));
  }
  EXPECT_TRUE(ReadVolumeLabel(*img).status().IsNotFound());
  auto v = ReadVtoc(*img);
  ASSERT_OK(v);
  EXPECT_FALSE(v->present);
  auto info = DescribeVolume(dir / "u.ckd");
  ASSERT_OK(info);
  EXPECT_FALSE(info->labelled);
}

// A demo-like volume: 20 cylinders, VTOC, two data sets.
std::string SmallVolume(const ScratchDir& dir, const std::string& name, uint32_t cyls = 20) {
  const std::string p = dir / name;
  auto img = CkdImage::Create(p, k3390Geometry, cyls, false);
  EXPECT_OK(img);
  EXPECT_OK(FormatVolume(*img, "SRC001", true));
  EXPECT_OK(AddDataSet(*img, DataSetSpec{.name = "A.B", .tracks = 4, .records = 100}));
  EXPECT_OK(AddDataSet(
      *img,
      DataSetSpec{.name = "C.D", .tracks = 20, .lrecl = 1000, .blksize = 8000, .records = 900}));
  return p;
}

TEST(VtocTest, AddDataSetAllocatesAndUpdatesFreeSpace) {
  ScratchDir dir;
  const std::string p = SmallVolume(dir, "s.ckd");
  auto img = CkdImage::Open(p, true);
  ASSERT_OK(img);
  auto scan = dscb::ScanVtoc(*img);
  ASSERT_OK(scan);
  const Vtoc& v = scan->vtoc;
  ASSERT_EQ(v.datasets.size(), 2u);
  EXPECT_EQ(RelativeTrack(img->geometry(), v.datasets[0].extents[0].begin), 1u + kVtocTracks);
  EXPECT_EQ(v.datasets[1].tracks, 20u);
  EXPECT_EQ(v.allocated.Count(), 1u + kVtocTracks + 24);
  // The F5 describes the one free run after the data sets.
  ASSERT_GE(scan->f5, 0);
  const auto& f5 = scan->entries[static_cast<size_t>(scan->f5)].bytes;
  const size_t o = dscb::F5ExtentOffset(0);
  EXPECT_EQ(dscb::Be16(&f5[o]), 1u + kVtocTracks + 24);
  EXPECT_EQ(dscb::Be16(&f5[o + 2]) * 15u + f5[o + 4], v.free_tracks());
  EXPECT_EQ(dscb::Be16(&f5[dscb::F5ExtentOffset(1)]), 0u);
  EXPECT_TRUE(AddDataSet(*img, DataSetSpec{.name = "A.B", .tracks = 1}).IsInvalidArgument());
  EXPECT_TRUE(AddDataSet(*img, DataSetSpec{.name = "X", .tracks = 1, .records = 100000})
                  .IsInvalidArgument());
  EXPECT_TRUE(AddDataSet(*img, DataSetSpec{.name = "bad name", .tracks = 1}).IsInvalidArgument());
}

TEST(VtocTest, Format3ChainLoopIsCorruption) {
  ScratchDir dir;
  const std::string p = SmallVolume(dir, "loop.ckd");
  auto img = CkdImage::Open(p, true);
  ASSERT_OK(img);
  auto scan = dscb::ScanVtoc(*img);
  ASSERT_OK(scan);
  // Turn a free DSCB into an F3 that points to itself; chain A.B's F1 to it.
  dscb::Entry* f0 = nullptr;
  dscb::Entry* f1 = nullptr;
  for (auto& e : scan->entries) {
    if (!f0 && e.format() == 0) f0 = &e;
    if (!f1 && e.format() == 0xF1) f1 = &e;
  }
  ASSERT_TRUE(f0 && f1);
  const Cchh at = TrackAddress(img->geometry(), f0->track);
  std::vector<uint8_t> ptr = {0, static_cast<uint8_t>(at.cyl), 0, static_cast<uint8_t>(at.head),
                              f0->rec};
  std::memset(f0->bytes.data(), 0x03, 4);
  f0->bytes[dscb::kFmtId] = 0xF3;
  std::memcpy(&f0->bytes[dscb::kPtrds], ptr.data(), 5);
  ASSERT_OK(dscb::WriteDscb(*img, f0->track, f0->rec, f0->bytes));
  std::memcpy(&f1->bytes[dscb::kPtrds], ptr.data(), 5);
  ASSERT_OK(dscb::WriteDscb(*img, f1->track, f1->rec, f1->bytes));
  auto v = ReadVtoc(*img);
  ASSERT_TRUE(v.status().IsCorruption()) << v.status().ToString();
  EXPECT_NE(v.status().message().find("chain loops"), std::string::npos) << v.status().message();
  EXPECT_NE(v.status().message().find("A.B"), std::string::npos);
  // A chain pointing outside the VTOC is its own error.
  f1->bytes[dscb::kPtrds + 1] = 9;
  ASSERT_OK(dscb::WriteDscb(*img, f1->track, f1->rec, f1->bytes));
  v = ReadVtoc(*img);
  ASSERT_TRUE(v.status().IsCorruption());
  EXPECT_NE(v.status().message().find("not a DSCB in the VTOC"), std::string::npos)
      << v.status().message();
}

TEST(VtocTest, ExtentBeyondVolumeIsCorruption) {
  ScratchDir dir;
  const std::string p = SmallVolume(dir, "ext.ckd");
  auto img = CkdImage::Open(p, true);
  ASSERT_OK(img);
  auto scan = dscb::ScanVtoc(*img);
  ASSERT_OK(scan);
  for (auto& e : scan->entries) {
    if (e.format() != 0xF1) continue;
    dscb::PutBe16(&e.bytes[dscb::kF1Ext1 + 6], 500);  // end cylinder 500 of 20
    ASSERT_OK(dscb::WriteDscb(*img, e.track, e.rec, e.bytes));
    break;
  }
  auto v = ReadVtoc(*img);
  ASSERT_TRUE(v.status().IsCorruption());
  EXPECT_NE(v.status().message().find("not within the volume"), std::string::npos)
      << v.status().message();
}

TEST(VtocTest, BadVtocTrackIsCorruptionNamingTheTrack) {
  ScratchDir dir;
  const std::string p = SmallVolume(dir, "bad.ckd");
  auto img = CkdImage::Open(p, true);
  ASSERT_OK(img);
  std::vector<uint8_t> slot(img->slot_size());
  ASSERT_OK(img->ReadTrack(2, slot));
  slot[2 + 5 + 8 + 8 + 0] ^= 0xFF;  // R1's count CC (the HA is 5 bytes, R0 16)
  ASSERT_OK(img->WriteTrack(2, slot));
  auto v = ReadVtoc(*img);
  ASSERT_TRUE(v.status().IsCorruption());
  EXPECT_NE(v.status().message().find("track 2"), std::string::npos) << v.status().message();
}

// Copies every track of `src` onto a larger new image (as a swap would)
// with empty tracks beyond.
std::string CopyToLarger(const ScratchDir& dir, const std::string& src, uint32_t cyls) {
  auto a = CkdImage::Open(src, false);
  EXPECT_OK(a);
  const std::string p = dir / "grown.ckd";
  auto b = CkdImage::Create(p, a->geometry(), cyls, false);
  EXPECT_OK(b);
  EXPECT_OK(FormatVolume(*b, "SRC001", false));
  std::vector<uint8_t> slot(a->slot_size());
  for (uint32_t t = 0; t < a->tracks(); ++t) {
    EXPECT_OK(a->ReadTrack(t, slot));
    EXPECT_OK(b->WriteTrack(t, slot));
  }
  return p;
}

TEST(VtocTest, ResizeVtocGrowsFreeSpaceAndDasdlsReadsIt) {
  ScratchDir dir;
  const std::string src = SmallVolume(dir, "s.ckd");
  const std::string p = CopyToLarger(dir, src, 30);
  auto img = CkdImage::Open(p, true);
  ASSERT_OK(img);
  auto before = ReadVtoc(*img);
  ASSERT_OK(before);
  EXPECT_EQ(before->f4_cylinders, 20u);
  ASSERT_OK(ResizeVtoc(*img, 30));
  auto scan = dscb::ScanVtoc(*img);
  ASSERT_OK(scan);
  EXPECT_EQ(scan->vtoc.f4_cylinders, 30u);
  EXPECT_EQ(scan->vtoc.free_tracks(), before->free_tracks() + 150);
  const auto& f5 = scan->entries[static_cast<size_t>(scan->f5)].bytes;
  const size_t o = dscb::F5ExtentOffset(0);
  EXPECT_EQ(dscb::Be16(&f5[o + 2]) * 15u + f5[o + 4], scan->vtoc.free_tracks());
  ExpectSameDataSets(scan->vtoc, DasdlsInfo(p));
  EXPECT_TRUE(ResizeVtoc(*img, 31).IsInvalidArgument());
  EXPECT_TRUE(ResizeVtoc(*img, 10).IsInvalidArgument());
}

TEST(VtocTest, ResizeBeyondF5RangeMarksF5Invalid) {
  ScratchDir dir;
  const std::string src = SmallVolume(dir, "s.ckd");
  auto a = CkdImage::Open(src, false);
  ASSERT_OK(a);
  // 4400 cylinders = 66000 tracks, more than an F5 RTA can address. Sparse:
  // only the source's tracks are written.
  auto b = CkdImage::Create(dir / "big.ckd", k3390Geometry, 4400, false);
  ASSERT_OK(b);
  std::vector<uint8_t> slot(a->slot_size());
  for (uint32_t t = 0; t < a->tracks(); ++t) {
    ASSERT_OK(a->ReadTrack(t, slot));
    ASSERT_OK(b->WriteTrack(t, slot));
  }
  ASSERT_OK(ResizeVtoc(*b, 4400));
  auto v = ReadVtoc(*b);
  ASSERT_OK(v);
  EXPECT_EQ(v->f4_cylinders, 4400u);
  EXPECT_EQ(v->vtoci & 0x80, 0x80);
  EXPECT_EQ(v->free_tracks(), 66000u - (1 + kVtocTracks + 24));
  EXPECT_EQ(DasdlsInfo(dir / "big.ckd").size(), 2u);
}

TEST(VtocTest, ResizeDasdloadVolume) {
  ScratchDir dir;
  const std::string src = Dasdload(dir);
  const std::string p = CopyToLarger(dir, src, 50);
  auto img = CkdImage::Open(p, true);
  ASSERT_OK(img);
  ASSERT_OK(ResizeVtoc(*img, 50));
  auto v = ReadVtoc(*img);
  ASSERT_OK(v);
  EXPECT_EQ(v->f4_cylinders, 50u);
  EXPECT_EQ(v->vtoci & 0x80, 0x80);  // dasdload's F5 stays marked invalid
  EXPECT_EQ(v->free_tracks(), 750u - v->allocated.Count());
  ExpectSameDataSets(*v, DasdlsInfo(p));
}

TEST(CompareTest, EqualDifferentAndLarger) {
  ScratchDir dir;
  const std::string a = SmallVolume(dir, "a.ckd");
  const std::string b = SmallVolume(dir, "b.ckd");
  auto ia = CkdImage::Open(a, false);
  auto ib = CkdImage::Open(b, true);
  ASSERT_OK(ia);
  ASSERT_OK(ib);
  auto r = CompareVolumes(*ia, *ib, 10);
  ASSERT_OK(r);
  EXPECT_TRUE(r->equal);
  EXPECT_EQ(r->tracks_compared, 300u);
  // Change one byte of data on track 12 (in C.D, tracks 9-28).
  std::vector<uint8_t> slot(ib->slot_size());
  ASSERT_OK(ib->ReadTrack(12, slot));
  slot[100] ^= 1;
  ASSERT_OK(ib->WriteTrack(12, slot));
  r = CompareVolumes(*ia, *ib, 10);
  ASSERT_OK(r);
  EXPECT_FALSE(r->equal);
  ASSERT_EQ(r->diffs.size(), 1u);
  EXPECT_EQ(r->diffs[0].track, 12u);
  EXPECT_NE(r->diffs[0].reason.find("data differs"), std::string::npos) << r->diffs[0].reason;
  // A larger B with empty tracks beyond A is equal; a record there is not.
  const std::string g = CopyToLarger(dir, a, 25);
  auto ig = CkdImage::Open(g, true);
  ASSERT_OK(ig);
  r = CompareVolumes(*ia, *ig, 10);
  ASSERT_OK(r);
  EXPECT_TRUE(r->equal);
  TrackBuilder tb(ig->geometry(), 350);
  std::vector<uint8_t> data(10, 1);
  ASSERT_OK(tb.AddRecord(1, {}, data));
  ASSERT_OK(tb.Finish(slot));
  ASSERT_OK(ig->WriteTrack(350, slot));
  r = CompareVolumes(*ia, *ig, 10);
  ASSERT_OK(r);
  EXPECT_FALSE(r->equal);
  EXPECT_EQ(r->differing_tracks, 1u);
  EXPECT_EQ(r->diffs[0].track, 350u);
  // B smaller than A: A's extra tracks differ.
  r = CompareVolumes(*ig, *ia, 3);
  ASSERT_OK(r);
  EXPECT_EQ(r->differing_tracks, 75u);  // tracks 300-374 of A
  EXPECT_EQ(r->diffs.size(), 3u);
}

TEST(CommandTest, InitInfoCompare) {
  ScratchDir dir;
  const std::string a = dir / "a.ckd", b = dir / "b.ckd";
  for (const auto& p : {a, b}) {
    auto r = Exec({PAS_BINARY, "volume", "init", p, "--model", "3390-1", "--volser", "CMD001",
                   "--cylinders", "10", "--vtoc"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  auto r = Exec({PAS_BINARY, "volume", "info", a});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("CMD001"), std::string::npos);
  EXPECT_NE(r.out.find("FREE       145 TRACKS"), std::string::npos) << r.out;
  r = Exec({PAS_BINARY, "volume", "info", a, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\"volser\":\"CMD001\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"free_tracks\":145"), std::string::npos) << r.out;
  r = Exec({PAS_BINARY, "volume", "compare", a, b});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("PAS104I"), std::string::npos);
  {
    auto img = CkdImage::Open(b, true);
    ASSERT_OK(img);
    ASSERT_OK(WriteVolser(*img, "CMD002"));
  }
  r = Exec({PAS_BINARY, "volume", "compare", a, b});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("TRACK 0"), std::string::npos) << r.out;
  r = Exec({PAS_BINARY, "volume", "init", "--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("--volser"), std::string::npos);
}

TEST(CommandTest, BadInputGetsMessageAndExit12) {
  ScratchDir dir;
  pas::testing::WriteFile(dir / "junk.ckd", std::string(4096, 'x'));
  auto r = Exec({PAS_BINARY, "volume", "info", dir / "junk.ckd"});
  EXPECT_EQ(r.exit_code, 12);
  EXPECT_NE(r.err.find("PAS101E"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("wrong magic"), std::string::npos) << r.err;
  r = Exec({PAS_BINARY, "volume", "compare", dir / "junk.ckd", dir / "none.ckd"});
  EXPECT_EQ(r.exit_code, 12);
  EXPECT_NE(r.err.find("PAS101E"), std::string::npos) << r.err;
  r = Exec({PAS_BINARY, "volume", "init", dir / "v.ckd", "--volser", "bad volser"});
  EXPECT_EQ(r.exit_code, 12);
  EXPECT_NE(r.err.find("PAS109E"), std::string::npos) << r.err;
  EXPECT_EQ(pas::testing::ReadFile(dir / "v.ckd"), "");  // nothing created
  r = Exec({PAS_BINARY, "volume", "init", dir / "junk.ckd", "--volser", "V1", "--cylinders", "1"});
  EXPECT_EQ(r.exit_code, 12);
  EXPECT_NE(r.err.find("PAS106E"), std::string::npos) << r.err;
  EXPECT_EQ(pas::testing::ReadFile(dir / "junk.ckd"), std::string(4096, 'x'));
  r = Exec({PAS_BINARY, "volume", "init", dir / "w.ckd", "--volser", "V1", "--model", "3390-4"});
  EXPECT_EQ(r.exit_code, 12);
  EXPECT_NE(r.err.find("unknown model"), std::string::npos) << r.err;
}

// The demo's source volume (the live demo itself is tested in
// tests/system/swap_demo_test.cc): dasdls lists its data sets.
TEST(VolumeTest, DemoVolumeIsReadByDasdls) {
  ScratchDir dir;
  ASSERT_OK(BuildDemoVolume(dir / "demo01.ckd", "DEMO01", 30));
  auto image = CkdImage::Open(dir / "demo01.ckd", false);
  ASSERT_OK(image);
  auto vtoc = ReadVtoc(*image);
  ASSERT_OK(vtoc);
  ASSERT_FALSE(vtoc->datasets.empty());
  EXPECT_EQ(DasdlsInfo(dir / "demo01.ckd").size(), vtoc->datasets.size());
}

}  // namespace
}  // namespace pas::ckd

namespace pas::ckd {
namespace {

// The freshly-formatted marker (ckd/fresh.h): set after a format, still
// true after a reopen, false after any write, a clear, or on a compressed
// image.
TEST(FreshMarkerTest, HoldsUntilTheFileIsWritten) {
  pas::testing::ScratchDir d;
  const std::string p = d / "fresh.ckd";
  {
    auto img = CkdImage::Create(p, k3390Geometry, 5, false);
    ASSERT_TRUE(img.ok()) << img.status().ToString();
    ASSERT_TRUE(FormatVolume(*img, "FRESH1", false).ok());
    ASSERT_TRUE(img->Sync().ok());
    EXPECT_FALSE(IsFreshlyFormatted(*img));  // not marked yet
    ASSERT_TRUE(MarkFreshlyFormatted(*img).ok());
    EXPECT_TRUE(IsFreshlyFormatted(*img));
  }
  auto img = CkdImage::Open(p, true);
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  EXPECT_TRUE(IsFreshlyFormatted(*img));
  // A write (a later clock tick than the format's) makes the marker stale.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  std::vector<uint8_t> slot(k3390Geometry.slot_size);
  ASSERT_TRUE(img->ReadTrack(40, slot).ok());
  ASSERT_TRUE(img->WriteTrack(40, slot).ok());
  EXPECT_FALSE(IsFreshlyFormatted(*img));
  // Marked again, then cleared.
  ASSERT_TRUE(MarkFreshlyFormatted(*img).ok());
  EXPECT_TRUE(IsFreshlyFormatted(*img));
  ASSERT_TRUE(ClearFreshlyFormatted(*img).ok());
  EXPECT_FALSE(IsFreshlyFormatted(*img));
  EXPECT_TRUE(ClearFreshlyFormatted(*img).ok());  // nothing to clear: fine
  // A compressed image is never marked.
  auto c = CkdImage::CreateCompressed(d / "fresh.cckd", k3390Geometry, 5, Compression::kZlib);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_FALSE(MarkFreshlyFormatted(*c).ok());
  EXPECT_FALSE(IsFreshlyFormatted(*c));
}

TEST(FreshMarkerTest, PasVolumeInitMarksEveryFileOfASplitImage) {
  pas::testing::ScratchDir d;
  const std::string p = d / "split.ckd";
  auto r = pas::testing::Run({PAS_BINARY, "volume", "init", p, "--model", "3390-3", "--volser",
                              "SPLIT1", "--split"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto img = CkdImage::Open(d / "split_1.ckd", false);
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  ASSERT_GT(img->files().size(), 1u);
  EXPECT_TRUE(IsFreshlyFormatted(*img));
  // Touching one member (not the first) is enough to make it stale.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const std::string second = img->files()[1].path;
  int fd = ::open(second.c_str(), O_WRONLY);
  ASSERT_GE(fd, 0);
  const uint8_t byte = 0;
  ASSERT_EQ(::pwrite(fd, &byte, 1, 512 + 100), 1);
  ::close(fd);
  EXPECT_FALSE(IsFreshlyFormatted(*img));
}

}  // namespace
}  // namespace pas::ckd
