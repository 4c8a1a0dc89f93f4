// The test guest under a plain Hercules (no pas): it finds its device,
// writes, counts, and the record check accepts exactly what it wrote and
// rejects a track set back to an older write. The oracle for every
// Hercules swap test (hercules_swap_test.cc).
#include <gtest/gtest.h>

#include <cstring>

#include "ckd/image.h"
#include "ckd/track.h"
#include "system/hercules_fixture.h"

namespace pas::swaptest {
namespace {

class HerculesGuest : public HerculesFixture {};

TEST_F(HerculesGuest, EveryCompletedWriteIsOnTheImageAndAnOlderTrackIsCaught) {
  const std::string missing = MissingTools();
  ASSERT_EQ(missing, "") << missing;
  HerculesSystem& h = NewSystem("SYSA");
  const std::string vol = GuestVolume("vm1887.ckd", "VM1887", 40, &h.params.first_track);
  h.params.tracks = 40;
  h.params.delay_us = 100;
  h.config = HerculesConfig("SYSA", "0A0001", h.port, vol, {});
  std::string why = StartHercules(h, /*plain=*/true);
  ASSERT_EQ(why, "") << why;
  const hercules::GuestCounters first = Counters(h);
  ASSERT_TRUE(WaitForWrites(h, first.writes, 200)) << Log(h);
  const hercules::GuestCounters c = StopGuest(h);
  EXPECT_TRUE(c.started);
  EXPECT_EQ(c.state, 2u);
  EXPECT_EQ(c.errors, 0u);
  EXPECT_EQ(c.subchannel & 0xFFFF0000u, 0x00010000u);
  EXPECT_GE(c.writes, first.writes + 200);
  EXPECT_GE(c.seq, c.writes);
  EXPECT_LE(c.seq, c.writes + 1);
  // The parameter block the guest runs with is the one installed.
  auto p = h.console.ReadParams();
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->device, 0x0A80);
  EXPECT_EQ(p->tracks, 40u);
  EXPECT_EQ(p->first_track, h.params.first_track);
  Quit(h);

  why = CheckAfterStop(vol, h.params, c);
  EXPECT_EQ(why, "") << why;
  auto seqs = hercules::ReadGuestSequences(vol, h.params, c.run_id);
  ASSERT_TRUE(seqs.ok()) << seqs.status().ToString();
  for (uint32_t i = 0; i < 40; ++i) EXPECT_GT((*seqs)[i], 0u) << "track index " << i;
  // dasdls reads the volume the guest wrote: its data set is intact.
  EXPECT_TRUE(Contains(Dasdls(vol), "PAS.GUEST")) << Dasdls(vol);

  // A track set back to its previous write is caught; so is a torn record.
  {
    auto img = ckd::CkdImage::Open(vol, true);
    ASSERT_TRUE(img.ok());
    std::vector<uint8_t> slot(img->slot_size());
    const uint32_t track = h.params.first_track + 7;
    ASSERT_OK(img->ReadTrack(track, slot));
    auto t = ckd::ParseTrack(slot, img->geometry(), track);
    ASSERT_TRUE(t.ok());
    ASSERT_EQ(t->records.size(), 2u);
    uint8_t* data = slot.data() + (t->records[1].data.data() - slot.data());
    const uint32_t seq = (*seqs)[7] - 40;  // the write before on that track
    for (int b = 0; b < 4; ++b) data[12 + b] = data[4096 - 8 + b] = uint8_t(seq >> (24 - 8 * b));
    ASSERT_OK(img->WriteTrack(track, slot));
    ASSERT_OK(img->Sync());
  }
  why = CheckAfterStop(vol, h.params, c);
  EXPECT_NE(why, "");
  EXPECT_TRUE(Contains(why, "track index 7")) << why;
  {
    auto img = ckd::CkdImage::Open(vol, true);
    ASSERT_TRUE(img.ok());
    std::vector<uint8_t> slot(img->slot_size());
    const uint32_t track = h.params.first_track + 8;
    ASSERT_OK(img->ReadTrack(track, slot));
    auto t = ckd::ParseTrack(slot, img->geometry(), track);
    ASSERT_TRUE(t.ok());
    uint8_t* data = slot.data() + (t->records[1].data.data() - slot.data());
    data[4096 - 5] ^= 1;  // the trailer's sequence number
    ASSERT_OK(img->WriteTrack(track, slot));
  }
  why = CheckAfterStop(vol, h.params, c);
  EXPECT_TRUE(Contains(why, "torn")) << why;
}

TEST(HerculesGuestChecks, LastSequenceAndPointInTime) {
  // 3 tracks: writes 1,2,3 to indexes 0,1,2; 4 to index 0 ...
  EXPECT_EQ(hercules::LastSequenceFor(0, 3, 0), 0u);
  EXPECT_EQ(hercules::LastSequenceFor(0, 3, 1), 1u);
  EXPECT_EQ(hercules::LastSequenceFor(2, 3, 2), 0u);
  EXPECT_EQ(hercules::LastSequenceFor(0, 3, 7), 7u);
  EXPECT_EQ(hercules::LastSequenceFor(1, 3, 7), 5u);
  EXPECT_EQ(hercules::LastSequenceFor(2, 3, 7), 6u);
  EXPECT_EQ(hercules::CheckAfterStop({7, 5, 6}, 7), "");
  EXPECT_EQ(hercules::CheckAfterStop({7, 8, 6}, 7), "");  // write 8 was in flight
  EXPECT_NE(hercules::CheckAfterStop({7, 8, 6}, 6), "");  // 7 on index 0 never completed... and 8 too far
  EXPECT_NE(hercules::CheckAfterStop({4, 5, 6}, 7), "");  // write 7 lost
  auto k = hercules::CheckPointInTime({7, 5, 6});
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(*k, 7u);
  EXPECT_FALSE(hercules::CheckPointInTime({7, 5, 3}).ok());
  EXPECT_FALSE(hercules::CheckPointInTime({4, 8, 6}).ok());
}

TEST(HerculesGuestChecks, StorageDisplayIsParsed) {
  const std::string display =
      "r 300.30\n"
      "R:00000300:K:06=D7C1E2C7 00000002 0005B9EC 00000000  PASG............\n"
      "R:00000310:K:06=E3AFAA14 2C966000 0005B9ED 0007674B  T....o-.........\n"
      "R:00000320:K:06=00000045 00000000 00010000 00000000  ................\n";
  auto b = hercules::ParseStorageDisplay(display, 0x300, 0x30);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  hercules::GuestCounters c = hercules::DecodeCounters(*b);
  EXPECT_TRUE(c.started);
  EXPECT_EQ(c.state, 2u);
  EXPECT_EQ(c.writes, 0x5B9ECu);
  EXPECT_EQ(c.run_id, 0xE3AFAA142C966000ull);
  EXPECT_EQ(c.seq, 0x5B9EDu);
  EXPECT_EQ(c.longest_us, 0x7674Bu);
  EXPECT_EQ(c.longest_at, 0x45u);
  EXPECT_EQ(c.subchannel, 0x10000u);
  EXPECT_FALSE(hercules::ParseStorageDisplay(display, 0x300, 0x40).ok());  // 0x330.. not shown
  EXPECT_FALSE(hercules::ParseStorageDisplay("HHCPN999E nonsense", 0x300, 4).ok());
}

}  // namespace
}  // namespace pas::swaptest
