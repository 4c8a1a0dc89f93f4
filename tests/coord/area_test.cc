// CoordinationArea: blocks through the file, liveness through OFD locks
// (including a process killed with SIGKILL), torn-read protection.
#include "coord/area.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "test_util.h"

namespace pas::coord {
namespace {

using pas::testing::ScratchDir;

Header MakeHeader(uint64_t job_id, uint32_t harvest_seq) {
  Header h;
  h.job_id = job_id;
  h.tracks = 450;
  h.cylinders = 30;
  h.heads = 15;
  h.device_type = 0x3390;
  h.harvest_seq = harvest_seq;
  h.volser = "VOL001";
  h.job_system = "SYSA";
  h.expected = {"SYSA", "SYSB"};
  h.source_path = "/x/source.ckd";
  h.target_path = "/x/target.ckd";
  return h;
}

TEST(CoordinationAreaTest, MissingAreaIsNotFoundUnlessCreated) {
  ScratchDir dir;
  EXPECT_TRUE(CoordinationArea::Open(dir / "t.ckd", CoordinationArea::Mode::kReadOnly).status().IsNotFound());
  EXPECT_TRUE(CoordinationArea::Open(dir / "t.ckd", CoordinationArea::Mode::kReadWrite).status().IsNotFound());
  auto a = CoordinationArea::Open(dir / "t.ckd", CoordinationArea::Mode::kCreate);
  ASSERT_OK(a);
  EXPECT_EQ(a->path(), dir / "t.ckd.pas-ctl");
  EXPECT_TRUE(a->ReadHeader().status().IsNotFound());
  EXPECT_TRUE(a->ReadParticipant(0).status().IsNotFound());
}

TEST(CoordinationAreaTest, BlocksRoundTripBetweenOpens) {
  ScratchDir dir;
  auto job = CoordinationArea::Open(dir / "t.ckd", CoordinationArea::Mode::kCreate);
  ASSERT_OK(job);
  ASSERT_OK(job->WriteHeader(MakeHeader(42, 3)));
  auto other = CoordinationArea::Open(dir / "t.ckd", CoordinationArea::Mode::kReadWrite);
  ASSERT_OK(other);
  auto h = other->ReadHeader();
  ASSERT_OK(h);
  EXPECT_EQ(h->job_id, 42u);
  EXPECT_EQ(h->harvest_seq, 3u);

  std::vector<uint64_t> words(8, 0);
  words[1] = 0x5;
  auto crc = other->WriteBitmap(1, words, 450);
  ASSERT_OK(crc);
  ParticipantBlock p;
  p.index = 1;
  p.job_id = 42;
  p.system = "SYSB";
  p.harvest_ack = 3;
  p.bitmap_crc = *crc;
  p.bitmap_count = 2;
  ASSERT_OK(other->WriteParticipant(p));

  auto back = job->ReadParticipant(1);
  ASSERT_OK(back);
  EXPECT_EQ(back->harvest_ack, 3u);
  auto bits = job->ReadBitmap(1, 450, back->bitmap_crc);
  ASSERT_OK(bits);
  EXPECT_EQ(*bits, words);
  EXPECT_TRUE(job->ReadBitmap(1, 450, back->bitmap_crc ^ 1).status().IsCorruption());

  ASSERT_OK(job->ClearParticipants());
  EXPECT_TRUE(job->ReadParticipant(1).status().IsNotFound());
}

TEST(CoordinationAreaTest, JobLockIsExclusiveAndReleasedOnClose) {
  ScratchDir dir;
  auto a = CoordinationArea::Open(dir / "t.ckd", CoordinationArea::Mode::kCreate);
  ASSERT_OK(a);
  auto b = CoordinationArea::Open(dir / "t.ckd", CoordinationArea::Mode::kReadOnly);
  ASSERT_OK(b);
  EXPECT_FALSE(b->JobAlive());
  {
    auto holder = CoordinationArea::Open(dir / "t.ckd", CoordinationArea::Mode::kReadWrite);
    ASSERT_OK(holder);
    ASSERT_OK(holder->TryLockJob());
    EXPECT_TRUE(b->JobAlive());
    EXPECT_TRUE(holder->JobAlive());  // its own lock is visible through its probe
    EXPECT_TRUE(a->TryLockJob().IsBusy());
  }
  EXPECT_FALSE(b->JobAlive());
  EXPECT_OK(a->TryLockJob());
}

TEST(CoordinationAreaTest, ParticipantLockReleasedWhenProcessIsKilled) {
  ScratchDir dir;
  auto probe = CoordinationArea::Open(dir / "t.ckd", CoordinationArea::Mode::kCreate);
  ASSERT_OK(probe);
  int pipefd[2];
  ASSERT_EQ(::pipe(pipefd), 0);
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    auto a = CoordinationArea::Open(dir / "t.ckd", CoordinationArea::Mode::kReadWrite);
    if (!a.ok() || !a->TryLockParticipant(3).ok()) ::_exit(1);
    char c = 'x';
    (void)::write(pipefd[1], &c, 1);
    for (;;) ::pause();
  }
  char c;
  ASSERT_EQ(::read(pipefd[0], &c, 1), 1);
  EXPECT_TRUE(probe->ParticipantAlive(3));
  EXPECT_FALSE(probe->ParticipantAlive(2));
  EXPECT_TRUE(probe->AnyParticipantAlive());
  ::kill(pid, SIGKILL);
  int st;
  ::waitpid(pid, &st, 0);
  EXPECT_FALSE(probe->ParticipantAlive(3));
  EXPECT_FALSE(probe->AnyParticipantAlive());
  ::close(pipefd[0]);
  ::close(pipefd[1]);
}

TEST(CoordinationAreaTest, WatchersAreListedWhileTheyHoldTheirSlot) {
  ScratchDir dir;
  auto reader = CoordinationArea::Open(dir / "t.ckd", CoordinationArea::Mode::kCreate);
  ASSERT_OK(reader);
  auto m1 = CoordinationArea::Open(dir / "t.ckd", CoordinationArea::Mode::kReadWrite);
  auto m2 = CoordinationArea::Open(dir / "t.ckd", CoordinationArea::Mode::kReadWrite);
  ASSERT_OK(m1);
  ASSERT_OK(m2);
  auto s1 = m1->ClaimWatcher({.pid = 1, .system = "SYSB", .serial = "", .devnum = 0xB887, .started_us = 0});
  auto s2 = m2->ClaimWatcher({.pid = 2, .system = "SYSC", .serial = "", .devnum = 0xC887, .started_us = 0});
  ASSERT_OK(s1);
  ASSERT_OK(s2);
  EXPECT_NE(*s1, *s2);
  auto live = reader->LiveWatchers();
  ASSERT_EQ(live.size(), 2u);
  ASSERT_OK(m1->ReleaseWatcher(*s1));
  live = reader->LiveWatchers();
  ASSERT_EQ(live.size(), 1u);
  EXPECT_EQ(live[0].system, "SYSC");
  // A released slot is reused.
  auto s3 = m1->ClaimWatcher({.pid = 3, .system = "SYSD", .serial = "", .devnum = 1, .started_us = 0});
  ASSERT_OK(s3);
  EXPECT_EQ(*s3, *s1);
}

TEST(CoordinationAreaTest, ConcurrentWritesNeverYieldATornHeader) {
  ScratchDir dir;
  auto writer = CoordinationArea::Open(dir / "t.ckd", CoordinationArea::Mode::kCreate);
  ASSERT_OK(writer);
  Header first = MakeHeader(1, 1);
  first.source_path = std::string(900, 'a');
  ASSERT_OK(writer->WriteHeader(first));
  auto reader = CoordinationArea::Open(dir / "t.ckd", CoordinationArea::Mode::kReadOnly);
  ASSERT_OK(reader);
  std::atomic<bool> stop{false};
  std::thread t([&] {
    uint32_t seq = 1;
    while (!stop.load()) {
      ++seq;
      Header h = MakeHeader(seq % 2 ? 1 : 2, seq);
      h.source_path = std::string(seq % 2 ? 900 : 10, 'a' + seq % 26);
      (void)writer->WriteHeader(h);
    }
  });
  for (int i = 0; i < 2000; ++i) {
    auto h = reader->ReadHeader();
    ASSERT_OK(h);
    // The pairing written together must be read together.
    EXPECT_EQ(h->job_id, h->harvest_seq % 2 ? 1u : 2u);
    EXPECT_EQ(h->source_path.size(), h->harvest_seq % 2 ? 900u : 10u);
  }
  stop = true;
  t.join();
}

}  // namespace
}  // namespace pas::coord
