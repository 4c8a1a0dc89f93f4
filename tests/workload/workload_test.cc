// The workload's record format, journal and verification.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "ckd/image.h"
#include "ckd/track.h"
#include "test_util.h"
#include "workload/journal.h"
#include "workload/latency.h"
#include "workload/record.h"
#include "workload/verify.h"

namespace pas::workload {
namespace {

using ::pas::testing::ScratchDir;

const ckd::DeviceGeometry& G() { return ckd::k3390Geometry; }

TEST(Crc32cTest, KnownVector) {
  // RFC 3720 B.4: CRC32C of "123456789" is 0xE3069283.
  const char* s = "123456789";
  EXPECT_EQ(Crc32c({reinterpret_cast<const uint8_t*>(s), 9}), 0xE3069283u);
  // Incremental equals one shot.
  uint32_t c = Crc32c({reinterpret_cast<const uint8_t*>(s), 4});
  EXPECT_EQ(Crc32c({reinterpret_cast<const uint8_t*>(s) + 4, 5}, c), 0xE3069283u);
}

TEST(RecordTest, EncodeDecodeRoundTrip) {
  std::vector<uint8_t> data(kRecordDataLength);
  WriteId id{.writer = 7, .system_hash = SystemNameHash("SYSA"), .track = 1234, .seq = 99};
  uint32_t crc = EncodeRecord(id, 3, 12, data);
  auto f = DecodeRecord(data);
  ASSERT_OK(f);
  EXPECT_EQ(f->id.writer, 7u);
  EXPECT_EQ(f->id.system_hash, SystemNameHash("SYSA"));
  EXPECT_EQ(f->id.track, 1234u);
  EXPECT_EQ(f->id.seq, 99u);
  EXPECT_EQ(f->rec, 3);
  EXPECT_EQ(f->records, 12);
  EXPECT_EQ(f->crc, crc);
}

TEST(RecordTest, FlippedPayloadByteIsCorruption) {
  std::vector<uint8_t> data(kRecordDataLength);
  EncodeRecord(WriteId{.writer = 1, .track = 20, .seq = 5}, 1, 12, data);
  data[2000] ^= 0x01;
  auto f = DecodeRecord(data);
  ASSERT_FALSE(f.ok());
  EXPECT_TRUE(f.status().IsCorruption());
}

TEST(RecordTest, PayloadOfAnotherWriteWithValidCrcIsCorruption) {
  // A record whose header claims seq 6 but whose payload is seq 5's (then
  // re-checksummed) must still be rejected: the pattern is checked too.
  std::vector<uint8_t> a(kRecordDataLength), b(kRecordDataLength);
  EncodeRecord(WriteId{.writer = 1, .track = 20, .seq = 5}, 1, 12, a);
  EncodeRecord(WriteId{.writer = 1, .track = 20, .seq = 6}, 1, 12, b);
  std::memcpy(b.data() + kRecordHeaderSize, a.data() + kRecordHeaderSize,
              kRecordDataLength - kRecordHeaderSize - kRecordTrailerSize);
  uint32_t crc = Crc32c(std::span<const uint8_t>(b).first(b.size() - 4));
  std::memcpy(b.data() + b.size() - 4, &crc, 4);
  EXPECT_TRUE(DecodeRecord(b).status().IsCorruption());
}

TEST(RecordTest, WholeTrackIsIntact) {
  std::vector<uint8_t> slot(G().slot_size);
  WriteId id{.writer = 2, .system_hash = 5, .track = 31, .seq = 1000};
  auto sum = BuildWorkloadTrack(G(), id, slot);
  ASSERT_OK(sum);
  ASSERT_OK(ckd::ValidateTrack(slot, G(), 31));
  TrackVerdict v = InspectTrack(G(), 31, slot);
  EXPECT_EQ(v.kind, TrackVerdict::Kind::kIntact) << v.detail;
  EXPECT_EQ(v.id.seq, 1000u);
  EXPECT_EQ(v.id.writer, 2u);
  EXPECT_EQ(v.checksum, *sum);
}

TEST(RecordTest, TornTrackDetected) {
  // The first half of the slot from seq 8, the rest from seq 7: a torn write.
  std::vector<uint8_t> old_slot(G().slot_size), new_slot(G().slot_size);
  ASSERT_OK(BuildWorkloadTrack(G(), WriteId{.writer = 1, .track = 40, .seq = 7}, old_slot));
  ASSERT_OK(BuildWorkloadTrack(G(), WriteId{.writer = 1, .track = 40, .seq = 8}, new_slot));
  std::vector<uint8_t> torn = old_slot;
  std::memcpy(torn.data(), new_slot.data(), 20000);
  TrackVerdict v = InspectTrack(G(), 40, torn);
  EXPECT_EQ(v.kind, TrackVerdict::Kind::kTorn);
  EXPECT_FALSE(v.detail.empty());
}

TEST(RecordTest, EmptyAndZeroTracksAreForeign) {
  std::vector<uint8_t> slot(G().slot_size, 0);
  EXPECT_EQ(InspectTrack(G(), 16, slot).kind, TrackVerdict::Kind::kForeign);
  ckd::BuildEmptyTrack(G(), 16, slot);
  EXPECT_EQ(InspectTrack(G(), 16, slot).kind, TrackVerdict::Kind::kForeign);
}

TEST(RecordTest, TrackBuiltForAnotherTrackIsNotIntact) {
  std::vector<uint8_t> slot(G().slot_size);
  ASSERT_OK(BuildWorkloadTrack(G(), WriteId{.writer = 1, .track = 40, .seq = 7}, slot));
  EXPECT_NE(InspectTrack(G(), 41, slot).kind, TrackVerdict::Kind::kIntact);
}

TEST(JournalTest, WriteThenReadBack) {
  ScratchDir dir;
  const std::string base = dir / "j";
  {
    auto w = JournalWriter::Open(WriterJournalPath(base, 3),
                                 JournalHeader{.system = "SYSA", .unit = "1887", .writer = 3});
    ASSERT_OK(w);
    ASSERT_OK(w->Append(100, 3, 17, 0xdeadbeef));
    ASSERT_OK(w->Append(103, 3, 18, 0x00000001));
  }
  auto names = ExpandJournalNames({base});
  ASSERT_OK(names);
  ASSERT_EQ(names->size(), 1u);
  auto c = ReadJournal(names->front());
  ASSERT_OK(c);
  ASSERT_EQ(c->entries.size(), 2u);
  EXPECT_EQ(c->entries[0].track, 100u);
  EXPECT_EQ(c->entries[0].seq, 17u);
  EXPECT_EQ(c->entries[0].checksum, 0xdeadbeefu);
  EXPECT_EQ(c->entries[1].writer, 3u);
  ASSERT_EQ(c->headers.size(), 1u);
  EXPECT_EQ(c->headers[0].system, "SYSA");
  EXPECT_FALSE(c->incomplete_tail);
}

TEST(JournalTest, MalformedLineNamesFileAndLine) {
  ScratchDir dir;
  pas::testing::WriteFile(dir / "bad", "1 2 3 0000000a\n1 2 x 0000000b\n");
  auto c = ReadJournal(dir / "bad");
  ASSERT_FALSE(c.ok());
  EXPECT_TRUE(c.status().IsInvalidArgument());
  EXPECT_NE(c.status().message().find("bad:2"), std::string::npos) << c.status().message();
}

TEST(JournalTest, UnterminatedLastLineIgnored) {
  ScratchDir dir;
  pas::testing::WriteFile(dir / "j", "1 2 3 0000000a\n4 2 5 0");
  auto c = ReadJournal(dir / "j");
  ASSERT_OK(c);
  EXPECT_EQ(c->entries.size(), 1u);
  EXPECT_TRUE(c->incomplete_tail);
}

TEST(JournalTest, MissingJournalIsNotFound) {
  ScratchDir dir;
  EXPECT_TRUE(ExpandJournalNames({dir / "nothing"}).status().IsNotFound());
}

TEST(LatencyHistogramTest, PercentilesAndMerge) {
  LatencyHistogram a, b;
  for (int i = 1; i <= 99; ++i) a.Record(100);
  b.Record(50000);
  a.Merge(b);
  EXPECT_EQ(a.count(), 100u);
  EXPECT_EQ(a.max(), 50000u);
  EXPECT_NEAR(static_cast<double>(a.Percentile(0.5)), 100.0, 2.0);
  EXPECT_NEAR(static_cast<double>(a.Percentile(0.99)), 100.0, 2.0);
  EXPECT_EQ(a.Percentile(1.0), 50000u);
  LatencyHistogram c;
  ASSERT_TRUE(LatencyHistogram::Deserialize(a.Serialize(), &c));
  EXPECT_EQ(c.Percentile(0.5), a.Percentile(0.5));
  EXPECT_EQ(c.max(), 50000u);
}

// Verification against a plain image.
class VerifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto img = ckd::CkdImage::Create(dir_ / "v.ckd", G(), 3, false);
    ASSERT_OK(img);
    image_ = std::make_unique<ckd::CkdImage>(std::move(*img));
  }
  // Writes write `id` to the image; returns its journal entry.
  JournalEntry Write(uint32_t track, uint32_t writer, uint64_t seq) {
    std::vector<uint8_t> slot(G().slot_size);
    auto sum = BuildWorkloadTrack(G(), WriteId{.writer = writer, .track = track, .seq = seq}, slot);
    EXPECT_TRUE(sum.ok());
    EXPECT_TRUE(image_->WriteTrack(track, slot).ok());
    return JournalEntry{.track = track, .writer = writer, .seq = seq, .checksum = *sum,
                        .file = "j", .line = static_cast<int>(seq)};
  }
  ScratchDir dir_;
  std::unique_ptr<ckd::CkdImage> image_;
};

TEST_F(VerifyTest, CleanRunPasses) {
  std::vector<JournalEntry> j;
  for (uint64_t s = 1; s <= 5; ++s) j.push_back(Write(15 + s % 3, 0, s));
  j.push_back(Write(20, 1, 6));
  auto r = VerifyImage(*image_, j);
  ASSERT_OK(r);
  EXPECT_TRUE(r->ok());
  EXPECT_EQ(r->tracks_checked, 4u);
  EXPECT_EQ(r->entries, 6u);
}

TEST_F(VerifyTest, LostWriteDetected) {
  std::vector<JournalEntry> j;
  j.push_back(Write(16, 0, 4));
  // The journal acknowledges seq 5, but the image still holds seq 4.
  JournalEntry lost = j.back();
  lost.seq = 5;
  j.push_back(lost);
  auto r = VerifyImage(*image_, j);
  ASSERT_OK(r);
  ASSERT_EQ(r->problems.size(), 1u);
  EXPECT_EQ(r->problems[0].kind, VerifyProblem::Kind::kLost);
  EXPECT_EQ(r->problems[0].track, 16u);
  EXPECT_EQ(r->problems[0].expected.seq, 5u);
  EXPECT_NE(r->problems[0].detail.find("image seq 4"), std::string::npos);
}

TEST_F(VerifyTest, NeverWrittenTrackIsLost) {
  std::vector<JournalEntry> j{JournalEntry{.track = 17, .writer = 0, .seq = 1, .checksum = 1}};
  auto r = VerifyImage(*image_, j);
  ASSERT_OK(r);
  ASSERT_EQ(r->problems.size(), 1u);
  EXPECT_EQ(r->problems[0].kind, VerifyProblem::Kind::kLost);
}

TEST_F(VerifyTest, TornRecordDetected) {
  std::vector<JournalEntry> j{Write(18, 0, 9)};
  std::vector<uint8_t> slot(G().slot_size);
  ASSERT_OK(image_->ReadTrack(18, slot));
  slot[5000] ^= 0xFF;  // inside a record's data
  ASSERT_OK(image_->WriteTrack(18, slot));
  auto r = VerifyImage(*image_, j);
  ASSERT_OK(r);
  ASSERT_EQ(r->problems.size(), 1u);
  EXPECT_EQ(r->problems[0].kind, VerifyProblem::Kind::kTorn);
}

TEST_F(VerifyTest, NewerImageThanJournalIsFine) {
  // Written and acknowledged, then the writer died before its journal
  // append: the journal's last entry is older than the image.
  std::vector<JournalEntry> j{Write(19, 0, 3)};
  Write(19, 0, 4);
  auto r = VerifyImage(*image_, j);
  ASSERT_OK(r);
  EXPECT_TRUE(r->ok());
  EXPECT_EQ(r->newer_on_disk, 1u);
}

TEST_F(VerifyTest, NewerWriteOfAnotherWriterIsOverwrittenNotLost) {
  // The journal's writer 0 wrote seq 3; writer 1, whose journal is not
  // given, wrote the track after it.
  std::vector<JournalEntry> j{Write(21, 0, 3)};
  Write(21, 1, 7);
  auto r = VerifyImage(*image_, j);
  ASSERT_OK(r);
  ASSERT_EQ(r->problems.size(), 1u);
  EXPECT_EQ(r->problems[0].kind, VerifyProblem::Kind::kOverwritten);
  EXPECT_NE(r->problems[0].detail.find("writer 1"), std::string::npos) << r->problems[0].detail;
  // The same writer id of another system is another writer too.
  std::vector<JournalEntry> k{Write(22, 0, 3)};
  k[0].system_hash = SystemNameHash("SYSA");
  std::vector<uint8_t> slot(G().slot_size);
  ASSERT_OK(BuildWorkloadTrack(
      G(), WriteId{.writer = 0, .system_hash = SystemNameHash("SYSB"), .track = 22, .seq = 8}, slot));
  ASSERT_OK(image_->WriteTrack(22, slot));
  auto r2 = VerifyImage(*image_, k);
  ASSERT_OK(r2);
  ASSERT_EQ(r2->problems.size(), 1u);
  EXPECT_EQ(r2->problems[0].kind, VerifyProblem::Kind::kOverwritten);
}

// One TORN problem, and not counted as a write cut short in flight.
void ExpectTornNotInFlight(const Result<VerifyReport>& r) {
  ASSERT_OK(r);
  ASSERT_EQ(r->problems.size(), 1u);
  EXPECT_EQ(r->problems[0].kind, VerifyProblem::Kind::kTorn);
  EXPECT_EQ(r->torn_in_flight, 0u);
}

// Builds track `track` whose first `cut` bytes are write `newer` and the
// rest write `older` (a write(2) stopped between pages by SIGKILL).
std::vector<uint8_t> Spliced(uint32_t track, WriteId newer, WriteId older, size_t cut) {
  std::vector<uint8_t> a(G().slot_size), b(G().slot_size);
  newer.track = older.track = track;
  EXPECT_TRUE(BuildWorkloadTrack(G(), newer, a).ok());
  EXPECT_TRUE(BuildWorkloadTrack(G(), older, b).ok());
  std::copy(b.begin() + static_cast<long>(cut), b.end(), a.begin() + static_cast<long>(cut));
  return a;
}

TEST_F(VerifyTest, WriteCutShortByItsWritersDeathIsNotAProblem) {
  std::vector<JournalEntry> j{Write(22, 0, 7)};
  // Seq 8 was in flight (never acknowledged) when writer 0 died at 12 KiB.
  ASSERT_OK(image_->WriteTrack(22, Spliced(22, WriteId{.writer = 0, .seq = 8},
                                           WriteId{.writer = 0, .seq = 7}, 12288)));
  auto r = VerifyImage(*image_, j);
  ASSERT_OK(r);
  EXPECT_TRUE(r->ok());
  EXPECT_EQ(r->torn_in_flight, 1u);
}

TEST_F(VerifyTest, WriteCutShortInsideItsFirstRecordIsNotAProblem) {
  // Killed after the first page (and after 600 bytes): no record of seq 8
  // decodes, but the first record's header names it and the slot is seq 8
  // up to the cut and seq 7 after it, byte for byte.
  for (size_t cut : {size_t{600}, size_t{4096}}) {
    SCOPED_TRACE(cut);
    std::vector<JournalEntry> j{Write(25, 0, 7)};
    ASSERT_OK(image_->WriteTrack(25, Spliced(25, WriteId{.writer = 0, .seq = 8},
                                             WriteId{.writer = 0, .seq = 7}, cut)));
    auto r = VerifyImage(*image_, j);
    ASSERT_OK(r);
    EXPECT_TRUE(r->ok()) << (r->problems.empty() ? "" : r->problems[0].detail);
    EXPECT_EQ(r->torn_in_flight, 1u);
  }
}

TEST_F(VerifyTest, DamageInAWriteCutShortIsTorn) {
  // The same cut, with one byte after it that is neither write's: a
  // corruption, not a write cut short.
  std::vector<JournalEntry> j{Write(26, 0, 7)};
  auto slot = Spliced(26, WriteId{.writer = 0, .seq = 8}, WriteId{.writer = 0, .seq = 7}, 600);
  slot[9000] ^= 0x01;
  ASSERT_OK(image_->WriteTrack(26, slot));
  auto r = VerifyImage(*image_, j);
  ExpectTornNotInFlight(r);
  // And the acknowledged write's own first record damaged (its header
  // names seq 7, not a newer write) is torn too.
  std::vector<JournalEntry> k{Write(27, 0, 7)};
  std::vector<uint8_t> own(G().slot_size);
  ASSERT_OK(image_->ReadTrack(27, own));
  own[600] ^= 0x01;
  ASSERT_OK(image_->WriteTrack(27, own));
  auto r2 = VerifyImage(*image_, k);
  ExpectTornNotInFlight(r2);
}

TEST_F(VerifyTest, AcknowledgedWriteMixedWithAnOlderOneIsTorn) {
  // The journal acknowledges seq 7 but the track holds a prefix of seq 7
  // over seq 6: a copy taken mid-write and never recopied. Torn.
  std::vector<JournalEntry> j{Write(23, 0, 7)};
  for (size_t cut : {size_t{600}, size_t{12288}}) {
    SCOPED_TRACE(cut);
    ASSERT_OK(image_->WriteTrack(23, Spliced(23, WriteId{.writer = 0, .seq = 7},
                                             WriteId{.writer = 0, .seq = 6}, cut)));
    auto r = VerifyImage(*image_, j);
    ExpectTornNotInFlight(r);
  }
}

TEST_F(VerifyTest, OldContentBeforeNewContentIsTorn) {
  // New records after old ones is not how a write is cut short.
  std::vector<JournalEntry> j{Write(24, 0, 7)};
  ASSERT_OK(image_->WriteTrack(24, Spliced(24, WriteId{.writer = 0, .seq = 7},
                                           WriteId{.writer = 0, .seq = 8}, 12288)));
  auto r = VerifyImage(*image_, j);
  ASSERT_OK(r);
  ASSERT_EQ(r->problems.size(), 1u);
  EXPECT_EQ(r->problems[0].kind, VerifyProblem::Kind::kTorn);
}

TEST_F(VerifyTest, SameSeqDifferentChecksumIsTorn) {
  std::vector<JournalEntry> j{Write(21, 0, 3)};
  j[0].checksum ^= 1;
  auto r = VerifyImage(*image_, j);
  ASSERT_OK(r);
  ASSERT_EQ(r->problems.size(), 1u);
  EXPECT_EQ(r->problems[0].kind, VerifyProblem::Kind::kTorn);
}

TEST_F(VerifyTest, TrackBeyondImageIsBadInput) {
  std::vector<JournalEntry> j{JournalEntry{.track = 9999, .file = "jf", .line = 7}};
  auto r = VerifyImage(*image_, j);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsInvalidArgument());
  EXPECT_NE(r.status().message().find("jf:7"), std::string::npos);
}

}  // namespace
}  // namespace pas::workload
