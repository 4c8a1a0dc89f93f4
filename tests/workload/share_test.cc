// The workload's own data set (ChooseArea: allocation through the VTOC and
// the unit) and share claims (ShareClaim).
#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>
#include <string>

#include "ckd/image.h"
#include "ckd/volume.h"
#include "ckd/vtoc.h"
#include "host/config.h"
#include "host/host_io.h"
#include "host/unit_table.h"
#include "test_util.h"
#include "workload/dataset.h"
#include "workload/share.h"

namespace pas::workload {
namespace {

using ::pas::testing::ReadFile;
using ::pas::testing::ScratchDir;

constexpr uint16_t kUnit = 0x1887;

class ChooseAreaTest : public ::testing::Test {
 protected:
  void SetUp() override { ::setenv("PAS_RUNTIME_DIR", (dir_ / "run").c_str(), 1); }
  void TearDown() override { ::pas::testing::RestoreIsolatedEnv(); }

  // A volume of `cyls` cylinders; with `vtoc` an empty VTOC and the data
  // sets given (name, tracks).
  void MakeVolume(uint32_t cyls, bool vtoc,
                  const std::vector<std::pair<std::string, uint32_t>>& datasets = {}) {
    auto img = ckd::CkdImage::Create(image_, ckd::k3390Geometry, cyls, false);
    ASSERT_OK(img);
    ASSERT_OK(ckd::FormatVolume(*img, "WL0001", vtoc));
    for (const auto& [name, tracks] : datasets) {
      ASSERT_OK(ckd::AddDataSet(*img, ckd::DataSetSpec{.name = name, .tracks = tracks, .fill = {}}));
    }
  }

  Result<AreaChoice> Choose(std::optional<std::pair<uint32_t, uint32_t>> tracks,
                            uint32_t allocate, uint32_t min_tracks) {
    host::SystemConfig config;
    config.path = "test.cnf";
    config.name = "SYSA";
    config.cpu_serial = "0A0001";
    config.units.push_back(host::UnitConfig{});
    config.units.back().devnum = kUnit;
    config.units.back().device_type = 0x3390;
    config.units.back().image_path = image_;
    config.units.back().line = 2;
    PAS_ASSIGN_OR_RETURN(auto sys, host::System::Attach(config));
    PAS_ASSIGN_OR_RETURN(host::UnitIo io, host::UnitIo::Open(*sys, kUnit));
    return ChooseArea(io, tracks, allocate, min_tracks);
  }

  Result<ckd::DataSet> DataSet(const std::string& name) {
    PAS_ASSIGN_OR_RETURN(ckd::CkdImage img, ckd::CkdImage::Open(image_, false));
    PAS_ASSIGN_OR_RETURN(ckd::Vtoc vtoc, ckd::ReadVtoc(img));
    for (const auto& ds : vtoc.datasets)
      if (ds.name == name) return ds;
    return Status::NotFound(name);
  }

  ScratchDir dir_;
  std::string image_ = dir_ / "vol.ckd";
};

TEST_F(ChooseAreaTest, AllocatesTheWorkloadDataSetInFreeSpaceThroughTheVtoc) {
  MakeVolume(20, true, {{"OTHER.DATA", 10}});
  auto other = DataSet("OTHER.DATA");
  ASSERT_OK(other);
  auto choice = Choose(std::nullopt, 0, 4);
  ASSERT_OK(choice);
  EXPECT_TRUE(choice->vtoc);
  EXPECT_TRUE(choice->allocated);
  EXPECT_EQ(choice->tracks, kDefaultWorkloadTracks);
  EXPECT_EQ(choice->area.size(), kDefaultWorkloadTracks);
  auto own = DataSet(kWorkloadDataSet);
  ASSERT_OK(own);
  EXPECT_EQ(own->tracks, kDefaultWorkloadTracks);
  const uint32_t other_last = ckd::RelativeTrack(ckd::k3390Geometry, other->extents[0].end);
  EXPECT_EQ(choice->first_track, other_last + 1);  // first fit after OTHER.DATA
  for (const auto& [a, b] : choice->area.ranges) EXPECT_GT(a, other_last);
  // A second run finds it and allocates nothing.
  auto again = Choose(std::nullopt, 0, 4);
  ASSERT_OK(again);
  EXPECT_FALSE(again->allocated);
  EXPECT_EQ(again->area.ToString(), choice->area.ToString());
}

TEST_F(ChooseAreaTest, DefaultSizeShrinksToTheLargestFreeExtent) {
  MakeVolume(3, true);  // 45 tracks: 40 free after track 0 and the VTOC
  auto choice = Choose(std::nullopt, 0, 2);
  ASSERT_OK(choice);
  EXPECT_TRUE(choice->allocated);
  EXPECT_EQ(choice->tracks, 40u);
}

TEST_F(ChooseAreaTest, NoRoomIsRefusedWithoutWritingAByte) {
  MakeVolume(3, true, {{"FILLER.DATA", 38}});  // 2 free tracks left
  const std::string before = ReadFile(image_);
  auto choice = Choose(std::nullopt, 0, 4);  // 4 writers need 4 tracks
  ASSERT_FALSE(choice.ok());
  EXPECT_EQ(choice.status().message().rfind("PAS761E", 0), 0u) << choice.status().ToString();
  auto big = Choose(std::nullopt, 10, 1);  // --allocate 10
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.status().message().rfind("PAS761E", 0), 0u) << big.status().ToString();
  EXPECT_TRUE(ReadFile(image_) == before) << "the image changed";
  EXPECT_TRUE(DataSet(kWorkloadDataSet).status().IsNotFound());
}

TEST_F(ChooseAreaTest, ExplicitTracksNeverAllocateNorLeaveTheDataSet) {
  MakeVolume(5, true);
  const std::string before = ReadFile(image_);
  auto none = Choose(std::make_pair(20u, 30u), 0, 1);
  EXPECT_TRUE(none.status().IsInvalidArgument()) << none.status().ToString();
  EXPECT_TRUE(ReadFile(image_) == before) << "the image changed";
  ASSERT_OK(Choose(std::nullopt, 10, 1));  // PAS.WORKLOAD on tracks 5-14
  auto inside = Choose(std::make_pair(6u, 9u), 0, 1);
  ASSERT_OK(inside);
  EXPECT_EQ(inside->area.ToString(), "6-9");
  EXPECT_TRUE(Choose(std::make_pair(10u, 30u), 0, 1).status().IsInvalidArgument());
}

TEST_F(ChooseAreaTest, WithoutAVtocTheWholeVolumeFromCylinderOne) {
  MakeVolume(4, false);
  auto choice = Choose(std::nullopt, 0, 4);
  ASSERT_OK(choice);
  EXPECT_FALSE(choice->vtoc);
  EXPECT_FALSE(choice->allocated);
  EXPECT_EQ(choice->area.ToString(), "15-59");
}

class ShareClaimTest : public ::testing::Test {
 protected:
  Result<std::unique_ptr<ShareClaim>> Claim(const std::string& system, uint32_t systems,
                                            std::optional<uint32_t> index = std::nullopt,
                                            uint32_t writers = 2, uint32_t first = 15,
                                            uint32_t last = 164) {
    PAS_ASSIGN_OR_RETURN(ClaimLock lock, ClaimLock::Acquire(image_));
    return ShareClaim::Claim(lock, ShareRequest{.system = system,
                                                .systems = systems,
                                                .index = index,
                                                .writers = writers,
                                                .first_track = first,
                                                .last_track = last});
  }
  void SetUp() override { ::pas::testing::WriteFile(image_, "not read"); }
  ScratchDir dir_;
  std::string image_ = dir_ / "vol.ckd";
};

bool IsOverlap(const Status& s) { return s.IsBusy() && s.message().rfind("PAS762E", 0) == 0; }

TEST_F(ShareClaimTest, SystemsGetDisjointSharesWithoutAnIndex) {
  auto a = Claim("SYSA", 3);
  auto b = Claim("SYSB", 3);
  auto c = Claim("SYSC", 3);
  ASSERT_OK(a);
  ASSERT_OK(b);
  ASSERT_OK(c);
  EXPECT_EQ((*a)->index(), 0u);
  EXPECT_EQ((*b)->index(), 1u);
  EXPECT_EQ((*c)->index(), 2u);
  // A fourth system would overlap one of them.
  auto d = Claim("SYSD", 3);
  ASSERT_FALSE(d.ok());
  EXPECT_TRUE(IsOverlap(d.status())) << d.status().ToString();
  // When SYSB's run ends its share is free again.
  b->reset();
  auto d2 = Claim("SYSD", 3);
  ASSERT_OK(d2);
  EXPECT_EQ((*d2)->index(), 1u);
  auto shares = ListShares(image_);
  ASSERT_OK(shares);
  int live = 0;
  for (const auto& s : *shares) live += s.live;
  EXPECT_EQ(live, 3);
}

TEST_F(ShareClaimTest, ASystemGetsItsShareBackByItsIdentity) {
  {
    auto a = Claim("SYSA", 2);
    auto b = Claim("SYSB", 2);
    ASSERT_OK(a);
    ASSERT_OK(b);
    ASSERT_EQ((*b)->index(), 1u);
  }
  auto b = Claim("SYSB", 2);  // SYSB starts first this time
  ASSERT_OK(b);
  EXPECT_EQ((*b)->index(), 1u);
  auto a = Claim("SYSA", 2);
  ASSERT_OK(a);
  EXPECT_EQ((*a)->index(), 0u);
}

TEST_F(ShareClaimTest, OverlappingClaimsAreRefused) {
  auto a = Claim("SYSA", 1);
  ASSERT_OK(a);
  // The same area, one system each: they would write the same tracks.
  auto b = Claim("SYSB", 1);
  EXPECT_TRUE(IsOverlap(b.status())) << b.status().ToString();
  // Another division of the same area.
  auto c = Claim("SYSC", 2);
  EXPECT_TRUE(IsOverlap(c.status())) << c.status().ToString();
  auto w = Claim("SYSC", 1, std::nullopt, 3);
  EXPECT_TRUE(IsOverlap(w.status())) << w.status().ToString();
  // An explicit index that a running claim holds.
  a->reset();
  auto held = Claim("SYSD", 2, 0u);
  ASSERT_OK(held);
  auto same = Claim("SYSE", 2, 0u);
  EXPECT_TRUE(IsOverlap(same.status())) << same.status().ToString();
  // A disjoint area is no overlap.
  auto apart = Claim("SYSF", 1, std::nullopt, 2, 200, 300);
  EXPECT_OK(apart);
}

}  // namespace
}  // namespace pas::workload
