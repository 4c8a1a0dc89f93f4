// The track image codec: build, parse, validate, empty tracks, and every
// malformed-track error.
#include "ckd/track.h"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "test_util.h"

namespace pas::ckd {
namespace {

const DeviceGeometry& g = k3390Geometry;

std::vector<uint8_t> Slot() { return std::vector<uint8_t>(g.slot_size, 0); }

std::vector<uint8_t> Bytes(size_t n, uint8_t v) { return std::vector<uint8_t>(n, v); }

// Track 42 (CC 2 HH 12) with R1 (KL 4, DL 100) and R2 (DL 3000).
std::vector<uint8_t> SampleTrack() {
  TrackBuilder tb(g, 42);
  auto key = Bytes(4, 0xC1), d1 = Bytes(100, 0x11), d2 = Bytes(3000, 0x22);
  EXPECT_OK(tb.AddRecord(1, key, d1));
  EXPECT_OK(tb.AddRecord(2, {}, d2));
  auto slot = Slot();
  EXPECT_OK(tb.Finish(slot));
  return slot;
}

TEST(TrackTest, BuildThenParse) {
  auto slot = SampleTrack();
  auto t = ParseTrack(slot, g, 42);
  ASSERT_OK(t);
  EXPECT_EQ(t->cyl, 2u);
  EXPECT_EQ(t->head, 12u);
  ASSERT_EQ(t->records.size(), 3u);
  EXPECT_EQ(t->records[0].rec, 0);
  EXPECT_EQ(t->records[0].data.size(), 8u);
  EXPECT_EQ(t->records[1].rec, 1);
  EXPECT_EQ(t->records[1].key.size(), 4u);
  EXPECT_EQ(t->records[1].key[0], 0xC1);
  EXPECT_EQ(t->records[1].data.size(), 100u);
  EXPECT_EQ(t->records[2].data.size(), 3000u);
  EXPECT_EQ(t->records[2].data[2999], 0x22);
  const uint32_t used = 5 + 16 + (8 + 4 + 100) + (8 + 3000) + 8;
  EXPECT_EQ(t->used_length, used);
  EXPECT_EQ(TrackUsedLength(slot), used);
  EXPECT_OK(ValidateTrack(slot, g, 42));
  // Zero fill after the marker.
  for (size_t i = used; i < slot.size(); ++i) ASSERT_EQ(slot[i], 0) << i;
}

TEST(TrackTest, HomeAddressBytes) {
  auto slot = SampleTrack();
  const uint8_t ha[5] = {0, 0, 2, 0, 12};
  EXPECT_EQ(std::memcmp(slot.data(), ha, 5), 0);
}

TEST(TrackTest, EmptyTrackIsFmt1LikeDasdinit) {
  auto slot = Slot();
  BuildEmptyTrack(g, 1, slot);
  const uint8_t want[29] = {0, 0, 0, 0, 1, 0, 0,    0,    1,    0,    0,    0,    8,    0,   0,
                            0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
  EXPECT_EQ(std::memcmp(slot.data(), want, 29), 0);
  EXPECT_EQ(TrackUsedLength(slot), kEmptyTrackLength);
  EXPECT_TRUE(IsEmptyTrack(slot));
  EXPECT_OK(ValidateTrack(slot, g, 1));
  EXPECT_FALSE(IsEmptyTrack(SampleTrack()));
}

TEST(TrackTest, EofOnlyTrackCountsAsEmpty) {
  TrackBuilder tb(g, 7);
  ASSERT_OK(tb.AddEofRecord(1));
  auto slot = Slot();
  ASSERT_OK(tb.Finish(slot));
  EXPECT_EQ(TrackUsedLength(slot), 37u);  // FMT0
  EXPECT_TRUE(IsEmptyTrack(slot));
}

TEST(TrackTest, ZeroSlotIsNotATrack) {
  auto slot = Slot();
  EXPECT_TRUE(IsZeroSlot(slot));
  EXPECT_FALSE(IsEmptyTrack(slot));
  EXPECT_EQ(TrackUsedLength(slot), 0u);
  EXPECT_FALSE(ValidateTrack(slot, g, 0).ok());  // no end-of-track marker
  EXPECT_FALSE(IsZeroSlot(SampleTrack()));
}

TEST(TrackTest, HomeAddressMismatchNamed) {
  auto slot = SampleTrack();
  Status s = ValidateTrack(slot, g, 43);
  ASSERT_TRUE(s.IsCorruption());
  EXPECT_NE(s.message().find("track 43"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("home address CCHH 0002000C"), std::string::npos) << s.message();
  slot[0] = 1;
  s = ValidateTrack(slot, g, 42);
  EXPECT_NE(s.message().find("bin byte"), std::string::npos) << s.message();
}

TEST(TrackTest, CountCchhMismatchNamed) {
  auto slot = SampleTrack();
  // R3 would be after R0 (21) and R1 (8+4+100): R1's count is at 21.
  slot[21 + 3] = 0x0B;  // HH of R1: 000B instead of 000C
  auto t = ParseTrack(slot, g, 42);
  ASSERT_TRUE(t.status().IsCorruption());
  EXPECT_EQ(t.status().message(),
            "track 42: record 1 count CCHH 0002000B does not match home address 0002000C");
  EXPECT_EQ(ValidateTrack(slot, g, 42).message(), t.status().message());
}

TEST(TrackTest, RecordOverrunningSlotNamed) {
  auto slot = SampleTrack();
  // R2's count: 21 + 112 = 133; set DL to 60000.
  slot[133 + 6] = 0xEA;
  slot[133 + 7] = 0x60;
  Status s = ValidateTrack(slot, g, 42);
  ASSERT_TRUE(s.IsCorruption());
  EXPECT_NE(s.message().find("record 2"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("overruns the slot"), std::string::npos) << s.message();
  EXPECT_EQ(TrackUsedLength(slot), 0u);
}

TEST(TrackTest, MissingEndOfTrackNamed) {
  auto slot = SampleTrack();
  const uint32_t used = TrackUsedLength(slot);
  std::memset(slot.data() + used - 8, 0, 8);  // wipe the marker
  // Zero counts follow: they do not match the HA.
  Status s = ValidateTrack(slot, g, 42);
  ASSERT_TRUE(s.IsCorruption());
  // A slot entirely filled with records and no marker:
  std::vector<uint8_t> tiny(64, 0);
  const uint8_t ha[5] = {0, 0, 0, 0, 0};
  std::memcpy(tiny.data(), ha, 5);
  std::vector<uint8_t> r0 = {0, 0, 0, 0, 0, 0, 0, 8};
  std::memcpy(tiny.data() + 5, r0.data(), 8);
  // 5 + 16 = 21, then two more R0-like records to 37 and 53: the slot ends.
  std::memcpy(tiny.data() + 21, r0.data(), 8);
  std::memcpy(tiny.data() + 37, r0.data(), 8);
  tiny.resize(53);
  s = ValidateTrack(tiny, g, 0);
  ASSERT_TRUE(s.IsCorruption());
  EXPECT_NE(s.message().find("missing end-of-track marker"), std::string::npos) << s.message();
}

TEST(TrackTest, BuilderRejectsWhatDoesNotFit) {
  TrackBuilder tb(g, 0);
  auto big = Bytes(56664, 1);
  ASSERT_OK(tb.AddRecord(1, {}, big));
  Status s = tb.AddRecord(2, {}, Bytes(200, 2));
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_TRUE(tb.AddRecord(3, {}, Bytes(56665, 1)).IsInvalidArgument());
  auto slot = Slot();
  ASSERT_OK(tb.Finish(slot));
  auto t = ParseTrack(slot, g, 0);
  ASSERT_OK(t);
  EXPECT_EQ(t->records.size(), 2u);
  std::vector<uint8_t> small(100);
  EXPECT_TRUE(tb.Finish(small).IsInvalidArgument());
}

TEST(TrackTest, SameContentIgnoresPadding) {
  auto a = SampleTrack();
  auto b = SampleTrack();
  b[b.size() - 1] = 0x55;  // beyond the marker
  EXPECT_TRUE(SameTrackContent(a, b));
  b[200] ^= 1;  // inside R2's data
  EXPECT_FALSE(SameTrackContent(a, b));
  auto z1 = Slot(), z2 = Slot();
  EXPECT_TRUE(SameTrackContent(z1, z2));
  EXPECT_FALSE(SameTrackContent(a, z1));
}

TEST(TrackTest, ShortSlotIsCorruption) {
  std::vector<uint8_t> s(4, 0);
  EXPECT_TRUE(ValidateTrack(s, g, 0).IsCorruption());
  EXPECT_TRUE(ParseTrack(s, g, 0).status().IsCorruption());
}

}  // namespace
}  // namespace pas::ckd
