// Hercules CKD image files: create, open, header validation, multi-file
// sets, track I/O across file boundaries, and each malformed-image error.
#include "ckd/image.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <fstream>

#include "ckd/track.h"
#include "test_util.h"

namespace pas::ckd {
namespace {

using pas::testing::ScratchDir;

uint64_t FileSize(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

// Overwrites `bytes` at `offset` of file `p`.
void Patch(const std::string& p, uint64_t offset, std::vector<uint8_t> bytes) {
  std::fstream f(p, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(static_cast<std::streamoff>(offset));
  f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

TEST(ImageTest, HeaderRoundTrip) {
  DeviceHeader h{.devid = "CKD_P370",
                 .heads = 15,
                 .trksize = 56832,
                 .devtyp = 0x90,
                 .fileseq = 2,
                 .highcyl = 5037};
  auto bytes = EncodeDeviceHeader(h);
  ASSERT_EQ(bytes.size(), 512u);
  // Little-endian fields at their offsets.
  EXPECT_EQ(bytes[8], 15);
  EXPECT_EQ(bytes[12], 0x00);
  EXPECT_EQ(bytes[13], 0xDE);
  EXPECT_EQ(bytes[16], 0x90);
  EXPECT_EQ(bytes[17], 2);
  EXPECT_EQ(bytes[18], 5037 & 0xFF);
  EXPECT_EQ(bytes[19], 5037 >> 8);
  auto d = DecodeDeviceHeader(bytes);
  ASSERT_OK(d);
  EXPECT_EQ(d->highcyl, 5037);
  EXPECT_EQ(d->fileseq, 2);
}

TEST(ImageTest, HeaderErrorsNameTheField) {
  DeviceHeader h{.devid = "CKD_P370", .heads = 15, .trksize = 56832, .devtyp = 0x90};
  auto good = EncodeDeviceHeader(h);
  auto bad = good;
  std::memcpy(bad.data(), "CKD_X370", 8);
  EXPECT_NE(DecodeDeviceHeader(bad).status().message().find("wrong magic"), std::string::npos);
  bad = good;
  std::memcpy(bad.data(), "CKD_C370", 8);  // compressed: a valid device header
  EXPECT_OK(DecodeDeviceHeader(bad));
  bad = good;
  std::memcpy(bad.data(), "CKD_S370", 8);  // a shadow file: not a volume
  EXPECT_EQ(DecodeDeviceHeader(bad).status().kind(), Status::Kind::kNotSupported);
  bad = good;
  std::memcpy(bad.data(), "CKD_C064", 8);
  EXPECT_EQ(DecodeDeviceHeader(bad).status().kind(), Status::Kind::kNotSupported);
  bad = good;
  bad[8] = 16;
  EXPECT_NE(DecodeDeviceHeader(bad).status().message().find("heads 16"), std::string::npos);
  bad = good;
  bad[12] = 1;
  EXPECT_NE(DecodeDeviceHeader(bad).status().message().find("trksize"), std::string::npos);
  bad = good;
  bad[16] = 0x45;
  EXPECT_NE(DecodeDeviceHeader(bad).status().message().find("devtyp 0x45"), std::string::npos);
  EXPECT_TRUE(
      DecodeDeviceHeader(std::span<const uint8_t>(good.data(), 100)).status().IsCorruption());
}

TEST(ImageTest, MultiFileNames) {
  EXPECT_EQ(MultiFileName("a/vol.ckd", 1), "a/vol_1.ckd");
  EXPECT_EQ(MultiFileName("a/vol_1.ckd", 2), "a/vol_2.ckd");
  EXPECT_EQ(MultiFileName("a.b/vol", 3), "a.b/vol_3");
  EXPECT_EQ(MultiFileName("vol.x.ckd", 10), "vol_A.x.ckd");
  EXPECT_EQ(MultiFileName("vol_1", 11), "vol_B");
}

TEST(ImageTest, CreateIsSparseAndOpens) {
  ScratchDir dir;
  const std::string p = dir / "v.ckd";
  {
    auto img = CkdImage::Create(p, k3390Geometry, 20, false);
    ASSERT_OK(img);
    EXPECT_EQ(img->tracks(), 300u);
    EXPECT_EQ(img->files().size(), 1u);
  }
  EXPECT_EQ(FileSize(p), 512u + 300u * 56832u);
  EXPECT_TRUE(CkdImage::Create(p, k3390Geometry, 20, false).status().IsBusy());
  auto img = CkdImage::Open(p, true);
  ASSERT_OK(img);
  EXPECT_EQ(img->cylinders(), 20u);
  EXPECT_EQ(img->geometry().device_type, 0x3390);
  std::vector<uint8_t> slot(img->slot_size()), back(img->slot_size());
  BuildEmptyTrack(img->geometry(), 299, slot);
  ASSERT_OK(img->WriteTrack(299, slot));
  ASSERT_OK(img->ReadTrack(299, back));
  EXPECT_EQ(slot, back);
  EXPECT_TRUE(img->ReadTrack(300, back).IsInvalidArgument());
  ASSERT_OK(img->Sync());
  auto ro = CkdImage::Open(p, false);
  ASSERT_OK(ro);
  std::vector<uint8_t> s2(ro->slot_size());
  ASSERT_OK(ro->ReadTrack(299, s2));
  EXPECT_OK(ValidateTrack(s2, ro->geometry(), 299));
}

TEST(ImageTest, MultiFileSetRoundTrip) {
  ScratchDir dir;
  const std::string p = dir / "big.ckd";
  const uint32_t cyls = 3339;  // a 3390-3: two files, sparse
  {
    auto img = CkdImage::Create(p, k3390Geometry, cyls, true);
    ASSERT_OK(img);
    ASSERT_EQ(img->files().size(), 2u);
    EXPECT_EQ(img->files()[0].path, dir / "big_1.ckd");
    EXPECT_EQ(img->files()[1].first_track, 2519u * 15);
  }
  EXPECT_EQ(FileSize(dir / "big_1.ckd"), 2147397632u);  // as dasdinit makes it
  EXPECT_EQ(FileSize(dir / "big_2.ckd"), 512u + 820u * 15 * 56832);
  // Header fields of each file.
  std::string h1(20, '\0');
  std::ifstream(dir / "big_1.ckd", std::ios::binary).read(h1.data(), 20);
  EXPECT_EQ(static_cast<uint8_t>(h1[17]), 1);
  EXPECT_EQ(static_cast<uint8_t>(h1[18]) | static_cast<uint8_t>(h1[19]) << 8, 2518);

  auto img = CkdImage::Open(dir / "big_1.ckd", true);
  ASSERT_OK(img);
  EXPECT_EQ(img->cylinders(), cyls);
  const auto& g = img->geometry();
  // Three tracks straddling the file boundary, in one call.
  const uint32_t first = 2519 * 15 - 1;
  std::vector<uint8_t> slots(3 * size_t{g.slot_size});
  for (uint32_t i = 0; i < 3; ++i) {
    BuildEmptyTrack(g, first + i,
                    std::span<uint8_t>(slots).subspan(i * size_t{g.slot_size}, g.slot_size));
  }
  ASSERT_OK(img->WriteTracks(first, slots));
  auto loc = img->Locate(first + 1);
  ASSERT_OK(loc);
  EXPECT_EQ(loc->offset, 512u);
  EXPECT_EQ(loc->tracks_left_in_file, 820u * 15);
  // Reopen by base name, read back one by one.
  auto again = CkdImage::Open(p, false);
  ASSERT_OK(again);
  std::vector<uint8_t> s(g.slot_size);
  for (uint32_t i = 0; i < 3; ++i) {
    ASSERT_OK(again->ReadTrack(first + i, s));
    EXPECT_OK(ValidateTrack(s, g, first + i));
  }
  std::vector<uint8_t> all(3 * size_t{g.slot_size});
  ASSERT_OK(again->ReadTracks(first, 3, all));
  EXPECT_EQ(all, slots);
}

TEST(ImageTest, TruncatedFileIsCorruption) {
  ScratchDir dir;
  const std::string p = dir / "t.ckd";
  ASSERT_OK(CkdImage::Create(p, k3390Geometry, 2, false));
  ASSERT_EQ(::truncate(p.c_str(), 512 + 56832 * 29 + 100), 0);
  auto r = CkdImage::Open(p, false);
  ASSERT_TRUE(r.status().IsCorruption()) << r.status().ToString();
  EXPECT_NE(r.status().message().find(p), std::string::npos);
  EXPECT_NE(r.status().message().find("truncated"), std::string::npos);
  ASSERT_EQ(::truncate(p.c_str(), 300), 0);
  r = CkdImage::Open(p, false);
  ASSERT_TRUE(r.status().IsCorruption());
  EXPECT_NE(r.status().message().find("device header truncated"), std::string::npos)
      << r.status().message();
}

TEST(ImageTest, WrongMagicIsCorruption) {
  ScratchDir dir;
  const std::string p = dir / "m.ckd";
  ASSERT_OK(CkdImage::Create(p, k3390Geometry, 1, false));
  Patch(p, 0, {'F', 'B', 'A', '_', 'C', '3', '7', '0'});
  auto r = CkdImage::Open(p, false);
  ASSERT_TRUE(r.status().IsCorruption());
  EXPECT_NE(r.status().message().find("wrong magic"), std::string::npos);
}

TEST(ImageTest, InconsistentHeaderIsCorruption) {
  ScratchDir dir;
  const std::string p = dir / "h.ckd";
  ASSERT_OK(CkdImage::Create(p, k3390Geometry, 1, false));
  Patch(p, 8, {14});
  EXPECT_NE(CkdImage::Open(p, false).status().message().find("heads 14"), std::string::npos);
  Patch(p, 8, {15});
  Patch(p, 16, {0x80});  // 3380 devtyp with a 3390 trksize
  EXPECT_NE(CkdImage::Open(p, false).status().message().find("trksize"), std::string::npos);
  Patch(p, 16, {0x90});
  Patch(p, 18, {5, 0});  // highcyl in a single file
  EXPECT_NE(CkdImage::Open(p, false).status().message().find("highcyl"), std::string::npos);
  Patch(p, 18, {0, 0});
  EXPECT_OK(CkdImage::Open(p, false));
}

TEST(ImageTest, MissingSetMemberIsCorruption) {
  ScratchDir dir;
  ASSERT_OK(CkdImage::Create(dir / "s.ckd", k3390Geometry, 2600, true));
  ASSERT_EQ(::unlink((dir / "s_2.ckd").c_str()), 0);
  auto r = CkdImage::Open(dir / "s_1.ckd", false);
  ASSERT_TRUE(r.status().IsCorruption()) << r.status().ToString();
  EXPECT_NE(r.status().message().find("s_2.ckd"), std::string::npos);
}

TEST(ImageTest, MissingFileIsIoError) {
  auto r = CkdImage::Open("/nonexistent/x.ckd", false);
  EXPECT_TRUE(r.status().IsIoError());
}

}  // namespace
}  // namespace pas::ckd
