// The workload area and track ownership.
#include <gtest/gtest.h>

#include <set>

#include "ckd/image.h"
#include "ckd/volume.h"
#include "test_util.h"
#include "workload/area.h"

namespace pas::workload {
namespace {

using ::pas::testing::ScratchDir;

TEST(OwnedTracksTest, WritersPartitionTheAreaWithoutOverlap) {
  TrackArea area{.ranges = {{15, 100}, {120, 157}}};
  const uint32_t total = 6;  // e.g. 2 systems x 3 writers
  std::set<uint32_t> seen;
  uint32_t count = 0;
  for (uint32_t g = 0; g < total; ++g) {
    for (uint32_t t : OwnedTracks(area, g, total)) {
      EXPECT_EQ(t % total, g);
      EXPECT_TRUE((t >= 15 && t <= 100) || (t >= 120 && t <= 157)) << t;
      EXPECT_TRUE(seen.insert(t).second) << "track " << t << " owned twice";
      ++count;
    }
  }
  EXPECT_EQ(count, area.size());
}

TEST(ResolveAreaTest, WithoutVtocDefaultIsCylinderOneToTheEnd) {
  ScratchDir dir;
  auto img = ckd::CkdImage::Create(dir / "a.ckd", ckd::k3390Geometry, 5, false);
  ASSERT_OK(img);
  ASSERT_OK(ckd::FormatVolume(*img, "WL0001", false));
  auto area = ResolveArea(*img, std::nullopt);
  ASSERT_OK(area);
  ASSERT_EQ(area->ranges.size(), 1u);
  EXPECT_EQ(area->ranges[0].first, 15u);
  EXPECT_EQ(area->ranges[0].second, 74u);
}

TEST(ResolveAreaTest, VtocWithoutWorkloadDataSetIsNotFound) {
  ScratchDir dir;
  auto img = ckd::CkdImage::Create(dir / "a.ckd", ckd::k3390Geometry, 5, false);
  ASSERT_OK(img);
  ASSERT_OK(ckd::FormatVolume(*img, "WL0001", true));
  ASSERT_OK(ckd::AddDataSet(*img, ckd::DataSetSpec{.name = "OTHER.DATA", .tracks = 3, .fill = {}}));
  EXPECT_TRUE(ResolveArea(*img, std::nullopt).status().IsNotFound());
  // --tracks never makes another data set or free space writable.
  EXPECT_FALSE(ResolveArea(*img, std::make_pair(20u, 40u)).ok());
}

TEST(ResolveAreaTest, UsesTheWorkloadDataSet) {
  ScratchDir dir;
  auto img = ckd::CkdImage::Create(dir / "a.ckd", ckd::k3390Geometry, 5, false);
  ASSERT_OK(img);
  ASSERT_OK(ckd::FormatVolume(*img, "WL0001", true));
  ASSERT_OK(ckd::AddDataSet(*img, ckd::DataSetSpec{.name = "OTHER.DATA", .tracks = 3, .fill = {}}));
  ASSERT_OK(ckd::AddDataSet(*img, ckd::DataSetSpec{.name = kWorkloadDataSet, .tracks = 10, .fill = {}}));
  auto area = ResolveArea(*img, std::nullopt);
  ASSERT_OK(area);
  EXPECT_EQ(area->size(), 10u);
  EXPECT_NE(area->source.find(kWorkloadDataSet), std::string::npos);
  for (const auto& [a, b] : area->ranges) EXPECT_GE(a, 8u);  // past the VTOC and OTHER.DATA
}

TEST(ResolveAreaTest, ExplicitTracksChecked) {
  ScratchDir dir;
  auto img = ckd::CkdImage::Create(dir / "a.ckd", ckd::k3390Geometry, 5, false);
  ASSERT_OK(img);
  ASSERT_OK(ckd::FormatVolume(*img, "WL0001", false));
  EXPECT_OK(ResolveArea(*img, std::make_pair(20u, 40u)));
  EXPECT_TRUE(ResolveArea(*img, std::make_pair(0u, 40u)).status().IsInvalidArgument());
  EXPECT_TRUE(ResolveArea(*img, std::make_pair(20u, 75u)).status().IsInvalidArgument());
  EXPECT_TRUE(ResolveArea(*img, std::make_pair(40u, 20u)).status().IsInvalidArgument());
}

TEST(ResolveAreaTest, ExplicitTracksOnAVtocVolumeLieInsideTheWorkloadDataSet) {
  ScratchDir dir;
  auto img = ckd::CkdImage::Create(dir / "a.ckd", ckd::k3390Geometry, 5, false);
  ASSERT_OK(img);
  ASSERT_OK(ckd::FormatVolume(*img, "WL0001", true));
  ASSERT_OK(ckd::AddDataSet(*img, ckd::DataSetSpec{.name = kWorkloadDataSet, .tracks = 10, .fill = {}}));
  auto area = ResolveArea(*img, std::make_pair(6u, 9u));  // the data set is tracks 5-14
  ASSERT_OK(area);
  EXPECT_EQ(area->ToString(), "6-9");
  EXPECT_TRUE(ResolveArea(*img, std::make_pair(2u, 9u)).status().IsInvalidArgument());  // VTOC
  EXPECT_TRUE(ResolveArea(*img, std::make_pair(10u, 20u)).status().IsInvalidArgument());  // beyond it
}

}  // namespace
}  // namespace pas::workload
