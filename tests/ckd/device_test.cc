// The device table, CCHH <-> track and the record-capacity formulas.
#include "ckd/device.h"

#include <gtest/gtest.h>

namespace pas::ckd {
namespace {

TEST(DeviceTest, ModelsHaveTheirCylinders) {
  EXPECT_EQ(FindModel("3390-1")->cylinders, 1113u);
  EXPECT_EQ(FindModel("3390-2")->cylinders, 2226u);
  EXPECT_EQ(FindModel("3390-3")->cylinders, 3339u);
  EXPECT_EQ(FindModel("3390-9")->cylinders, 10017u);
  EXPECT_EQ(FindModel("3390-27")->cylinders, 32760u);
  EXPECT_EQ(FindModel("3390-54")->cylinders, 65520u);
  EXPECT_EQ(FindModel("3390")->name, "3390-1");
  EXPECT_EQ(FindModel("3380-3")->cylinders, 2655u);
  EXPECT_FALSE(FindModel("3390-4").has_value());
  EXPECT_FALSE(FindModel("").has_value());
}

TEST(DeviceTest, ModelNameForStandardAndOddSizes) {
  EXPECT_EQ(ModelName(0x3390, 10017), "3390-9");
  EXPECT_EQ(ModelName(0x3390, 556), "3390");
  EXPECT_EQ(ModelName(0x3380, 885), "3380-1");
  EXPECT_FALSE(ModelForCylinders(0x3390, 885).has_value());
}

TEST(DeviceTest, Geometry) {
  auto g = GeometryForType(0x3390);
  ASSERT_TRUE(g.has_value());
  EXPECT_EQ(g->heads, 15u);
  EXPECT_EQ(g->track_capacity, 56664u);
  EXPECT_EQ(g->slot_size, 56832u);
  EXPECT_EQ(g->max_cyls_per_file, 2519u);
  EXPECT_EQ(GeometryForHeaderByte(0x80)->slot_size, 47616u);
  EXPECT_EQ(GeometryForHeaderByte(0x80)->max_cyls_per_file, 3006u);
  EXPECT_FALSE(GeometryForHeaderByte(0x45).has_value());
  EXPECT_FALSE(GeometryForType(0x9345).has_value());
  // Slot = roundup512(HA + R0 + count + max R1 + EOT); max cylinders per 2 GB file.
  for (const auto& geo : {k3390Geometry, k3380Geometry}) {
    EXPECT_EQ(geo.slot_size, (5 + 16 + 8 + geo.track_capacity + 8 + 511) / 512 * 512);
    EXPECT_EQ(geo.max_cyls_per_file, (0x7FFFFFFFu - 512 + 1) / (geo.slot_size * geo.heads));
  }
}

TEST(DeviceTest, CchhAndRelativeTrack) {
  const auto& g = k3390Geometry;
  EXPECT_EQ(RelativeTrack(g, Cchh{0, 0}), 0u);
  EXPECT_EQ(RelativeTrack(g, Cchh{2, 12}), 42u);
  EXPECT_EQ(TrackAddress(g, 42), (Cchh{2, 12}));
  EXPECT_EQ(TrackAddress(g, 982799), (Cchh{65519, 14}));
  for (uint32_t t : {0u, 1u, 14u, 15u, 50084u, 982799u}) {
    EXPECT_EQ(RelativeTrack(g, TrackAddress(g, t)), t);
  }
}

struct CapacityCase {
  uint32_t kl, dl, per_track;
};

TEST(DeviceTest, Records3390MatchHerculesAndDasdload) {
  const CapacityCase cases[] = {
      {0, 80, 78},   {8, 80, 54},   {0, 800, 39},  {0, 3120, 15}, {0, 4096, 12}, {0, 6160, 8},
      {0, 18432, 3}, {0, 27998, 2}, {0, 56664, 1}, {44, 96, 50},  {8, 256, 45},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(RecordsPerTrack(k3390Geometry, c.kl, c.dl), c.per_track)
        << "KL " << c.kl << " DL " << c.dl;
  }
  EXPECT_EQ(RecordsPerTrack(k3390Geometry, 0, 56665), 0u);
  EXPECT_EQ(RecordsPerTrack(k3390Geometry, 0, 28000), 1u);  // just over half a track
}

TEST(DeviceTest, Records3380) {
  EXPECT_EQ(RecordsPerTrack(k3380Geometry, 44, 96), 53u);
  EXPECT_EQ(RecordsPerTrack(k3380Geometry, 8, 256), 46u);
  EXPECT_EQ(RecordsPerTrack(k3380Geometry, 0, 47476), 1u);
  EXPECT_EQ(RecordsPerTrack(k3380Geometry, 0, 47477), 0u);
}

}  // namespace
}  // namespace pas::ckd
