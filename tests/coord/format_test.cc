// The coordination area's block codec: round trips, and that no damaged
// block ever decodes as valid.
#include "coord/format.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "test_util.h"

namespace pas::coord {
namespace {

Header SampleHeader() {
  Header h;
  h.job_id = 0x1122334455667788ull;
  h.function = JobFunction::kSwapDump;
  h.state = JobState::kRecopy;
  h.tracks = 30 * 15;
  h.cylinders = 30;
  h.heads = 15;
  h.device_type = 0x3390;
  h.source_devnum = 0x1887;
  h.target_devnum = 0xB887;
  h.harvest_seq = 7;
  h.quiesce_seq = 1;
  h.job_pid = 4242;
  h.created_us = 1'700'000'000'000'000;
  h.updated_us = 1'700'000'000'500'000;
  h.volser = "VM1887";
  h.job_system = "VMLAB63A";
  h.expected = {"VMLAB63A", "VMLAB63B", "SYS3"};
  h.source_path = "/vols/vm1887.ckd";
  h.target_path = "/vols/new/b887.ckd";
  return h;
}

ParticipantBlock SampleParticipant() {
  ParticipantBlock p;
  p.index = 2;
  p.job_id = 99;
  p.state = ParticipantState::kQuiesced;
  p.pid = 1234;
  p.source_devnum = 0x1887;
  p.target_devnum = 0xB887;
  p.harvest_ack = 5;
  p.quiesce_ack = 1;
  p.bitmap_count = 17;
  p.bitmap_crc = 0xDEADBEEF;
  p.harvests = 5;
  p.tracks_handed = 1000;
  p.longest_pause_us = 3456;
  p.joined_us = 11;
  p.updated_us = 12;
  p.system = "VMLAB63B";
  p.serial = "04E2062818";
  p.note = "";
  return p;
}

TEST(Crc32cTest, KnownVector) {
  const std::string s = "123456789";
  EXPECT_EQ(Crc32c({reinterpret_cast<const uint8_t*>(s.data()), s.size()}), 0xE3069283u);
}

TEST(HeaderCodecTest, RoundTrip) {
  auto bytes = EncodeHeader(SampleHeader());
  ASSERT_OK(bytes);
  ASSERT_EQ(bytes->size(), kHeaderSize);
  auto h = DecodeHeader(*bytes);
  ASSERT_OK(h);
  Header want = SampleHeader();
  EXPECT_EQ(h->job_id, want.job_id);
  EXPECT_EQ(h->function, want.function);
  EXPECT_EQ(h->state, want.state);
  EXPECT_EQ(h->tracks, want.tracks);
  EXPECT_EQ(h->cylinders, want.cylinders);
  EXPECT_EQ(h->heads, want.heads);
  EXPECT_EQ(h->device_type, want.device_type);
  EXPECT_EQ(h->source_devnum, want.source_devnum);
  EXPECT_EQ(h->target_devnum, want.target_devnum);
  EXPECT_EQ(h->harvest_seq, want.harvest_seq);
  EXPECT_EQ(h->quiesce_seq, want.quiesce_seq);
  EXPECT_EQ(h->job_pid, want.job_pid);
  EXPECT_EQ(h->created_us, want.created_us);
  EXPECT_EQ(h->updated_us, want.updated_us);
  EXPECT_EQ(h->volser, want.volser);
  EXPECT_EQ(h->job_system, want.job_system);
  EXPECT_EQ(h->expected, want.expected);
  EXPECT_EQ(h->source_path, want.source_path);
  EXPECT_EQ(h->target_path, want.target_path);
  EXPECT_EQ(h->ParticipantIndex("VMLAB63B"), 1);
  EXPECT_EQ(h->ParticipantIndex("NOSUCH"), -1);
}

TEST(HeaderCodecTest, ImageIdentitiesRoundTrip) {
  Header h = SampleHeader();
  h.source_id = {.ino = 0xFEDCBA9876543210ull, .size = 12345678};
  h.target_id = {.ino = 42, .size = 87654321};
  auto bytes = EncodeHeader(h);
  ASSERT_OK(bytes);
  auto back = DecodeHeader(*bytes);
  ASSERT_OK(back);
  EXPECT_EQ(back->source_id, h.source_id);
  EXPECT_EQ(back->target_id, h.target_id);
  EXPECT_EQ(DecodeHeader(*EncodeHeader(SampleHeader()))->source_id, FileIdentity{});
}

TEST(HeaderCodecTest, NeverWrittenIsNotFound) {
  std::vector<uint8_t> zero(kHeaderSize, 0);
  EXPECT_TRUE(DecodeHeader(zero).status().IsNotFound());
}

TEST(HeaderCodecTest, EveryFlippedByteIsDetected) {
  auto bytes = EncodeHeader(SampleHeader());
  ASSERT_OK(bytes);
  for (size_t i = 0; i < bytes->size(); ++i) {
    auto damaged = *bytes;
    damaged[i] ^= 0x01;
    auto h = DecodeHeader(damaged);
    ASSERT_FALSE(h.ok()) << "byte " << i;
    EXPECT_TRUE(h.status().IsCorruption()) << "byte " << i << ": " << h.status().ToString();
  }
}

TEST(HeaderCodecTest, WrongSizesAreCorruption) {
  auto bytes = EncodeHeader(SampleHeader());
  ASSERT_OK(bytes);
  for (size_t n : {size_t{0}, size_t{1}, size_t{4095}}) {
    EXPECT_TRUE(DecodeHeader(std::span<const uint8_t>(*bytes).first(n)).status().IsCorruption()) << n;
  }
  auto longer = *bytes;
  longer.push_back(0);
  EXPECT_TRUE(DecodeHeader(longer).status().IsCorruption());
}

TEST(HeaderCodecTest, ValidCrcButBadFieldsAreCorruption) {
  // A block with a correct CRC but an impossible value must still be rejected.
  auto bytes = EncodeHeader(SampleHeader());
  ASSERT_OK(bytes);
  auto reseal = [](std::vector<uint8_t> b) {
    uint32_t crc = Crc32c(std::span<const uint8_t>(b).first(b.size() - 4));
    for (int i = 0; i < 4; ++i) b[b.size() - 4 + i] = uint8_t(crc >> (8 * i));
    return b;
  };
  auto b1 = *bytes;
  b1[24] = 9;  // function
  EXPECT_TRUE(DecodeHeader(reseal(b1)).status().IsCorruption());
  auto b2 = *bytes;
  b2[26] = 40;  // expected count > kMaxParticipants
  EXPECT_TRUE(DecodeHeader(reseal(b2)).status().IsCorruption());
  auto b3 = *bytes;
  b3[72] = 'a';  // lower-case volser
  EXPECT_TRUE(DecodeHeader(reseal(b3)).status().IsCorruption());
  auto b4 = *bytes;
  b4[3000] = 1;  // reserved
  EXPECT_TRUE(DecodeHeader(reseal(b4)).status().IsCorruption());
  auto b5 = *bytes;
  b5[96 + 15] = 'X';  // name field without its terminating NUL
  EXPECT_TRUE(DecodeHeader(reseal(b5)).status().IsCorruption());
}

TEST(HeaderCodecTest, RandomBytesNeverDecode) {
  std::mt19937 rng(7);
  std::vector<uint8_t> b(kHeaderSize);
  for (int round = 0; round < 200; ++round) {
    for (auto& c : b) c = static_cast<uint8_t>(rng());
    if (round % 2) std::copy_n("PASCTLHD", 8, b.begin());
    EXPECT_FALSE(DecodeHeader(b).ok());
  }
}

TEST(HeaderCodecTest, EncodeRejectsWhatDoesNotFit) {
  Header h = SampleHeader();
  h.job_id = 0;
  EXPECT_TRUE(EncodeHeader(h).status().IsInvalidArgument());
  h = SampleHeader();
  h.expected.assign(kMaxParticipants + 1, "S");
  EXPECT_TRUE(EncodeHeader(h).status().IsInvalidArgument());
  h = SampleHeader();
  h.expected = {"A_NAME_OF_16_CHR"};
  EXPECT_TRUE(EncodeHeader(h).status().IsInvalidArgument());
  h = SampleHeader();
  h.source_path = std::string(kPathSize, 'p');
  EXPECT_TRUE(EncodeHeader(h).status().IsInvalidArgument());
  h = SampleHeader();
  h.tracks = kMaxTracks + 1;
  EXPECT_TRUE(EncodeHeader(h).status().IsInvalidArgument());
  h = SampleHeader();
  h.volser = "TOOLONG";
  EXPECT_TRUE(EncodeHeader(h).status().IsInvalidArgument());
}

TEST(ParticipantCodecTest, RoundTripAndDamage) {
  auto bytes = EncodeParticipantBlock(SampleParticipant());
  ASSERT_OK(bytes);
  ASSERT_EQ(bytes->size(), kParticipantBlockSize);
  auto p = DecodeParticipantBlock(*bytes);
  ASSERT_OK(p);
  ParticipantBlock want = SampleParticipant();
  EXPECT_EQ(p->index, want.index);
  EXPECT_EQ(p->job_id, want.job_id);
  EXPECT_EQ(p->state, want.state);
  EXPECT_EQ(p->harvest_ack, want.harvest_ack);
  EXPECT_EQ(p->quiesce_ack, want.quiesce_ack);
  EXPECT_EQ(p->bitmap_crc, want.bitmap_crc);
  EXPECT_EQ(p->tracks_handed, want.tracks_handed);
  EXPECT_EQ(p->longest_pause_us, want.longest_pause_us);
  EXPECT_EQ(p->system, want.system);
  EXPECT_EQ(p->serial, want.serial);
  for (size_t i = 0; i < bytes->size(); ++i) {
    auto damaged = *bytes;
    damaged[i] ^= 0x80;
    EXPECT_FALSE(DecodeParticipantBlock(damaged).ok()) << "byte " << i;
  }
  EXPECT_TRUE(DecodeParticipantBlock(std::vector<uint8_t>(kParticipantBlockSize, 0)).status().IsNotFound());
}

TEST(ParticipantCodecTest, NoteIsMadePrintableAndBounded) {
  ParticipantBlock p = SampleParticipant();
  p.note = std::string(300, 'n') + "\n";
  p.note[0] = '\x01';
  auto bytes = EncodeParticipantBlock(p);
  ASSERT_OK(bytes);
  auto back = DecodeParticipantBlock(*bytes);
  ASSERT_OK(back);
  EXPECT_EQ(back->note.size(), kNoteSize - 1);
  EXPECT_EQ(back->note[0], '?');
}

TEST(WatcherCodecTest, RoundTripAndDamage) {
  WatcherSlot w{.pid = 77, .system = "SYSB", .serial = "0001", .devnum = 0xB887, .started_us = 5};
  auto bytes = EncodeWatcherSlot(w);
  ASSERT_OK(bytes);
  auto back = DecodeWatcherSlot(*bytes);
  ASSERT_OK(back);
  EXPECT_EQ(back->pid, 77u);
  EXPECT_EQ(back->system, "SYSB");
  EXPECT_EQ(back->serial, "0001");
  EXPECT_EQ(back->devnum, 0xB887);
  EXPECT_EQ(back->started_us, 5);
  for (size_t i = 0; i < bytes->size(); ++i) {
    auto damaged = *bytes;
    damaged[i] ^= 0x10;
    EXPECT_FALSE(DecodeWatcherSlot(damaged).ok()) << "byte " << i;
  }
}

TEST(BitmapCodecTest, RoundTripAndStrayBits) {
  const uint32_t tracks = 450;
  std::vector<uint64_t> words((tracks + 63) / 64, 0);
  words[0] = 0b1011;
  words[7] = uint64_t{1} << 1;  // track 449
  auto bytes = EncodeBitmap(words, tracks);
  ASSERT_EQ(bytes.size(), BitmapBytes(tracks));
  auto back = DecodeBitmap(bytes, tracks);
  ASSERT_OK(back);
  EXPECT_EQ(*back, words);
  bytes[bytes.size() - 1] = 0x80;  // bit beyond track 449
  EXPECT_TRUE(DecodeBitmap(bytes, tracks).status().IsCorruption());
  EXPECT_TRUE(DecodeBitmap(std::vector<uint8_t>(3), tracks).status().IsCorruption());
}

}  // namespace
}  // namespace pas::coord
