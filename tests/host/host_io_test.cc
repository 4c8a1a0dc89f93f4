#include "host/host_io.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <random>

#include "host/decision.h"
#include "host/unit_table.h"
#include "host_test_util.h"

namespace pas::host {
namespace {

using ::pas::testing::ScratchDir;
using testing::ForkChild;
using testing::MakeConfig;
using testing::MakeVolume;
using testing::SharedArea;
using testing::TrackWith;
using testing::WaitChild;
using testing::WaitFor;

constexpr uint16_t kUnit = testing::kTestUnit;

class HostIoTest : public testing::OneUnitSystemTest {
 protected:
  HostIoTest() : OneUnitSystemTest("TESTSYS") {}

  // The byte all of R1 on `track` of `image` holds (-1: no R1).
  int FillOf(const std::string& image, uint32_t track) {
    auto img = ckd::CkdImage::Open(image, false);
    if (!img.ok()) return -2;
    std::vector<uint8_t> slot(img->slot_size());
    if (!img->ReadTrack(track, slot).ok()) return -2;
    auto parsed = ckd::ParseTrack(slot, img->geometry(), track);
    if (!parsed.ok()) return -3;
    for (const auto& r : parsed->records)
      if (r.rec == 1 && !r.data.empty()) return r.data[0];
    return -1;
  }
};

TEST_F(HostIoTest, ReadWriteRecordAndFormat) {
  auto sys = System::Attach(config_);
  ASSERT_OK(sys);
  EXPECT_EQ(std::vector<uint16_t>{kUnit}, (*sys)->Devnums());
  auto io = UnitIo::Open(**sys, kUnit);
  ASSERT_OK(io);
  EXPECT_EQ(150u, io->tracks());
  ASSERT_OK(io->WriteTrack(20, TrackWith(20, 0xAB)));
  std::vector<uint8_t> slot(io->geometry().slot_size);
  ASSERT_OK(io->ReadTrack(20, slot));
  EXPECT_EQ(TrackWith(20, 0xAB), slot);
  auto rec = io->ReadRecord({.cyl = 1, .head = 5}, 1);
  ASSERT_OK(rec);
  EXPECT_EQ(std::vector<uint8_t>(64, 0xAB), *rec);
  ASSERT_OK(io->UpdateRecord({.cyl = 1, .head = 5}, 1, std::vector<uint8_t>(64, 0x11)));
  EXPECT_EQ(0x11, FillOf(image_, 20));
  EXPECT_TRUE(io->UpdateRecord({.cyl = 1, .head = 5}, 1, std::vector<uint8_t>(10, 1)).IsInvalidArgument());
  EXPECT_TRUE(io->ReadRecord({.cyl = 1, .head = 5}, 9).status().IsNotFound());
  ASSERT_OK(io->FormatTrack(20));
  EXPECT_EQ(-1, FillOf(image_, 20));
  EXPECT_TRUE(io->ReadTrack(150, slot).IsInvalidArgument());
  EXPECT_GE(io->stats().ios, 6u);
}

TEST_F(HostIoTest, BadTrackImageIsRejectedAndNotWritten) {
  auto sys = System::Attach(config_);
  ASSERT_OK(sys);
  auto io = UnitIo::Open(**sys, kUnit);
  ASSERT_OK(io);
  ASSERT_OK(io->WriteTrack(30, TrackWith(30, 0x42)));
  std::vector<uint8_t> bad = TrackWith(31, 0x43);  // HA names track 31
  Status s = io->WriteTrack(30, bad);
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_NE(std::string::npos, s.message().find("track 30"));
  EXPECT_EQ(0x42, FillOf(image_, 30));
}

TEST_F(HostIoTest, OfflineUnitAndUnknownUnit) {
  auto sys = System::Attach(config_);
  ASSERT_OK(sys);
  auto io = UnitIo::Open(**sys, kUnit);
  ASSERT_OK(io);
  ASSERT_OK((*sys)->Vary(kUnit, false));
  EXPECT_TRUE(io->WriteTrack(5, TrackWith(5, 1)).IsBusy());
  ASSERT_OK((*sys)->Vary(kUnit, true));
  EXPECT_OK(io->WriteTrack(5, TrackWith(5, 1)));
  EXPECT_TRUE(UnitIo::Open(**sys, 0x9999).status().IsNotFound());
  EXPECT_TRUE((*sys)->Status(0x9999).status().IsNotFound());
}

TEST_F(HostIoTest, DifferentConfigurationOfALiveSystemIsRefused) {
  auto sys = System::Attach(config_);
  ASSERT_OK(sys);
  SystemConfig other = MakeConfig("TESTSYS", {{0x1888, image_}});
  auto second = System::Attach(other);
  EXPECT_TRUE(second.status().IsInvalidArgument()) << second.status().ToString();
  EXPECT_NE(std::string::npos, second.status().message().find("PAS192E"));
  sys->reset();
  auto rebuilt = System::Attach(other);  // nobody alive: rebuilt
  ASSERT_OK(rebuilt);
  EXPECT_EQ(std::vector<uint16_t>{0x1888}, (*rebuilt)->Devnums());
}

// Writer processes run; another process installs the intercept; every
// write that starts after the install returned is in the union of the
// harvests, taken concurrently by a third process and at the end.
TEST_F(HostIoTest, InterceptInstalledFromAnotherProcessMarksEveryWrite) {
  constexpr int kWriters = 3;
  constexpr uint32_t kTracks = 150;
  auto* installed = SharedArea<std::atomic<uint32_t>>();
  auto* stop = SharedArea<std::atomic<uint32_t>>();
  auto* must = SharedArea<std::atomic<uint8_t>>(kTracks);
  auto* harvested = SharedArea<std::atomic<uint8_t>>(kTracks);
  auto* writes = SharedArea<std::atomic<uint64_t>>();
  std::vector<pid_t> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.push_back(ForkChild([&, w] {
      auto sys = System::Attach(config_);
      if (!sys.ok()) return 1;
      auto io = UnitIo::Open(**sys, kUnit);
      if (!io.ok()) return 2;
      std::mt19937 rng(w);
      while (stop->load() == 0) {
        uint32_t t = 1 + rng() % (kTracks - 1);
        bool after = installed->load() == 1;
        if (!io->WriteTrack(t, TrackWith(t, static_cast<uint8_t>(w))).ok()) return 3;
        if (after) must[t] = 1;
        writes->fetch_add(1);
      }
      return 0;
    }));
  }
  ASSERT_TRUE(WaitFor([&] { return writes->load() > 200; }));
  pid_t installer = ForkChild([&] {
    auto sys = System::Attach(config_);
    if (!sys.ok() || !(*sys)->InstallIntercept(kUnit).ok()) return 1;
    installed->store(1);
    return 0;
  });
  ASSERT_EQ(0, WaitChild(installer));
  pid_t harvester = ForkChild([&] {
    auto sys = System::Attach(config_);
    if (!sys.ok()) return 1;
    while (stop->load() == 0) {
      auto set = (*sys)->HarvestDirty(kUnit);
      if (!set.ok()) return 2;
      set->ForEach([&](uint32_t t) { harvested[t] = 1; });
      std::this_thread::sleep_for(std::chrono::microseconds(300));
    }
    return 0;
  });
  uint64_t at_install = writes->load();
  ASSERT_TRUE(WaitFor([&] { return writes->load() > at_install + 1000; }, 30000));
  stop->store(1);
  for (pid_t p : writers) ASSERT_EQ(0, WaitChild(p));
  ASSERT_EQ(0, WaitChild(harvester));
  auto sys = System::Attach(config_);
  ASSERT_OK(sys);
  EXPECT_TRUE((*sys)->Status(kUnit)->intercept);
  auto last = (*sys)->HarvestDirty(kUnit);
  ASSERT_OK(last);
  last->ForEach([&](uint32_t t) { harvested[t] = 1; });
  int required = 0;
  for (uint32_t t = 0; t < kTracks; ++t) {
    if (!must[t]) continue;
    ++required;
    EXPECT_EQ(1, harvested[t].load()) << "track " << t << " written after the install but never harvested";
  }
  EXPECT_GT(required, 20);

  // Removal from another process: later writes mark nothing.
  pid_t remover = ForkChild([&] {
    auto s = System::Attach(config_);
    return s.ok() && (*s)->RemoveIntercept(kUnit).ok() ? 0 : 1;
  });
  ASSERT_EQ(0, WaitChild(remover));
  EXPECT_FALSE((*sys)->Status(kUnit)->intercept);
  auto io = UnitIo::Open(**sys, kUnit);
  ASSERT_OK(io);
  ASSERT_OK(io->WriteTrack(7, TrackWith(7, 9)));
  EXPECT_EQ(0u, (*sys)->Status(kUnit)->dirty_tracks);
}

// Another process quiesces the unit while writers run: no write completes
// while it is held, the writers block (not fail) and continue after Resume.
TEST_F(HostIoTest, QuiesceAndResumeFromAnotherProcess) {
  constexpr int kWriters = 3;
  auto* stop = SharedArea<std::atomic<uint32_t>>();
  auto* writes = SharedArea<std::atomic<uint64_t>>();
  auto* during = SharedArea<std::atomic<uint64_t>>(2);
  auto* waited_us = SharedArea<std::atomic<int64_t>>();
  std::vector<pid_t> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.push_back(ForkChild([&, w] {
      auto sys = System::Attach(config_);
      if (!sys.ok()) return 1;
      auto io = UnitIo::Open(**sys, kUnit);
      if (!io.ok()) return 2;
      std::mt19937 rng(w);
      while (stop->load() == 0) {
        uint32_t t = 1 + rng() % 149;
        if (!io->WriteTrack(t, TrackWith(t, 1)).ok()) return 3;
        writes->fetch_add(1);
      }
      int64_t longest = io->stats().longest_gate_wait_us;
      int64_t prev = waited_us->load();
      while (longest > prev && !waited_us->compare_exchange_weak(prev, longest)) {
      }
      return 0;
    }));
  }
  ASSERT_TRUE(WaitFor([&] { return writes->load() > 100; }));
  pid_t quiescer = ForkChild([&] {
    auto sys = System::Attach(config_);
    if (!sys.ok()) return 1;
    auto q = (*sys)->Quiesce(kUnit, 5'000'000);
    if (!q.ok()) return 2;
    during[0] = writes->load();
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    during[1] = writes->load();
    if (!(*sys)->Status(kUnit)->quiesced) return 3;
    return (*sys)->Resume(kUnit).ok() ? 0 : 4;
  });
  ASSERT_EQ(0, WaitChild(quiescer));
  // Writes counted between the quiesce and the resume: at most one per
  // writer (an acknowledged write counted just after the drain).
  EXPECT_LE(during[1].load() - during[0].load(), static_cast<uint64_t>(kWriters));
  uint64_t after_resume = writes->load();
  ASSERT_TRUE(WaitFor([&] { return writes->load() > after_resume + 100; }));
  stop->store(1);
  for (pid_t p : writers) ASSERT_EQ(0, WaitChild(p));
  EXPECT_GE(waited_us->load(), 200'000);
  auto sys = System::Attach(config_);
  ASSERT_OK(sys);
  EXPECT_FALSE((*sys)->Status(kUnit)->quiesced);
  EXPECT_GE((*sys)->Status(kUnit)->longest_pause_us, 300'000);
}

// A writer killed between publishing its in-flight write and the pwrite
// (fault point host.write_in_flight) does not hang a later quiesce, and
// its track is marked dirty. The child re-executes this test binary so
// PAS_FAULT_POINT is read fresh.
TEST_F(HostIoTest, WriterKilledMidWriteDoesNotHangQuiesceAndIsMarked) {
  if (const char* role = std::getenv("PAS_HOST_TEST_ROLE"); role != nullptr) {
    // Child role: write track 77 and be killed inside the write.
    auto sys = System::Attach(config_);
    ASSERT_OK(sys);
    auto io = UnitIo::Open(**sys, kUnit);
    ASSERT_OK(io);
    ASSERT_OK(io->WriteTrack(77, TrackWith(77, 5)));
    FAIL() << "the fault point did not kill the writer";
  }
  auto sys = System::Attach(config_);
  ASSERT_OK(sys);
  ASSERT_OK((*sys)->InstallIntercept(kUnit));
  ASSERT_OK((*sys)->HarvestDirty(kUnit));
  std::string filter = "--gtest_filter=" + std::string(::testing::UnitTest::GetInstance()->current_test_suite()->name()) +
                       "." + ::testing::UnitTest::GetInstance()->current_test_info()->name();
  ::pas::testing::Child child({"/proc/self/exe", filter},
                              {"PAS_HOST_TEST_ROLE=killed_writer", "PAS_HOST_TEST_IMAGE=" + image_,
                               "PAS_FAULT_POINT=host.write_in_flight",
                               "PAS_RUNTIME_DIR=" + (dir_ / "run")});
  EXPECT_EQ(128 + SIGKILL, child.Wait(60)) << child.Stdout() << child.Stderr();
  // The dead writer's mark before the write, and its in-flight word, both
  // report track 77.
  auto first = (*sys)->HarvestDirty(kUnit);
  ASSERT_OK(first);
  EXPECT_TRUE(first->Test(77));
  auto q = (*sys)->Quiesce(kUnit, 2'000'000);
  ASSERT_OK(q);
  EXPECT_OK((*sys)->Resume(kUnit));
}

TEST_F(HostIoTest, QuiesceMarksTheInFlightWriteOfADeadWriter) {
  if (std::getenv("PAS_HOST_TEST_ROLE") != nullptr) {
    auto sys = System::Attach(config_);
    ASSERT_OK(sys);
    auto io = UnitIo::Open(**sys, kUnit);
    ASSERT_OK(io);
    ASSERT_OK(io->WriteTrack(88, TrackWith(88, 5)));
    FAIL() << "the fault point did not kill the writer";
  }
  auto sys = System::Attach(config_);
  ASSERT_OK(sys);
  std::string filter = "--gtest_filter=" + std::string(::testing::UnitTest::GetInstance()->current_test_suite()->name()) +
                       "." + ::testing::UnitTest::GetInstance()->current_test_info()->name();
  ::pas::testing::Child child({"/proc/self/exe", filter},
                              {"PAS_HOST_TEST_ROLE=killed_writer", "PAS_HOST_TEST_IMAGE=" + image_,
                               "PAS_FAULT_POINT=host.write_in_flight",
                               "PAS_RUNTIME_DIR=" + (dir_ / "run")});
  EXPECT_EQ(128 + SIGKILL, child.Wait(60)) << child.Stdout() << child.Stderr();
  // The intercept was not installed when the writer died; a later
  // quiesce still completes at once and reports the dead write.
  ASSERT_OK((*sys)->InstallIntercept(kUnit));
  auto q = (*sys)->Quiesce(kUnit, 2'000'000);
  ASSERT_OK(q);
  EXPECT_LT(q->drain_us, 1'000'000);
  auto dirty = (*sys)->HarvestDirty(kUnit);
  ASSERT_OK(dirty);
  EXPECT_TRUE(dirty->Test(88));
  EXPECT_OK((*sys)->Resume(kUnit));
}

// A quiesce holder with a swap context dies; a writer waiting at the gate
// runs the recovery and follows the decision record.
class DeadHolderTest : public HostIoTest, public ::testing::WithParamInterface<bool> {};

TEST_P(DeadHolderTest, WaitingWriterRecoversAndFollowsTheDecision) {
  const bool swap = GetParam();
  std::string target = dir_ / "target.ckd";
  ASSERT_OK(MakeVolume(target));
  std::string decision = target + ".pas-decision-JOB1";
  auto* ready = SharedArea<std::atomic<uint32_t>>();
  auto* writer_started = SharedArea<std::atomic<uint32_t>>();
  pid_t holder = ForkChild([&] {
    auto sys = System::Attach(config_);
    if (!sys.ok()) return 1;
    if (!(*sys)->SetSwapContext(kUnit, {decision, target, "JOB1"}).ok()) return 2;
    if (!(*sys)->InstallIntercept(kUnit).ok()) return 3;
    if (!(*sys)->Quiesce(kUnit, 2'000'000).ok()) return 4;
    if (swap && !Decide(decision, Decision::kSwap).ok()) return 5;
    ready->store(1);
    for (;;) ::pause();
  });
  ASSERT_TRUE(WaitFor([&] { return ready->load() == 1; }));
  pid_t writer = ForkChild([&] {
    auto sys = System::Attach(config_);
    if (!sys.ok()) return 1;
    auto io = UnitIo::Open(**sys, kUnit);
    if (!io.ok()) return 2;
    writer_started->store(1);
    if (!io->WriteTrack(40, TrackWith(40, 0x77)).ok()) return 3;
    return io->stats().longest_gate_wait_us >= 100'000 ? 0 : 4;
  });
  ASSERT_TRUE(WaitFor([&] { return writer_started->load() == 1; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  ::kill(holder, SIGKILL);
  EXPECT_EQ(128 + SIGKILL, WaitChild(holder));
  EXPECT_EQ(0, WaitChild(writer, 20));
  auto d = ReadDecision(decision);
  ASSERT_OK(d);
  EXPECT_EQ(swap ? Decision::kSwap : Decision::kSource, *d);
  auto sys = System::Attach(config_);
  ASSERT_OK(sys);
  auto st = (*sys)->Status(kUnit);
  ASSERT_OK(st);
  EXPECT_FALSE(st->quiesced);
  EXPECT_FALSE(st->intercept);
  EXPECT_TRUE(st->swap.decision_path.empty());
  EXPECT_EQ(swap ? target : image_, st->image_path);
  EXPECT_EQ(swap ? 1u : 0u, st->generation);
  EXPECT_EQ(0x77, FillOf(swap ? target : image_, 40));
  EXPECT_EQ(-1, FillOf(swap ? image_ : target, 40));
}

INSTANTIATE_TEST_SUITE_P(SourceAndSwap, DeadHolderTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "Swap" : "Source"; });

// A swap done by the quiesce holder itself: every process follows to the
// new image on its next I/O.
TEST_F(HostIoTest, SwitchImageMovesOpenUnitIo) {
  std::string target = dir_ / "target.ckd";
  ASSERT_OK(MakeVolume(target));
  auto sys = System::Attach(config_);
  ASSERT_OK(sys);
  auto io = UnitIo::Open(**sys, kUnit);
  ASSERT_OK(io);
  EXPECT_TRUE((*sys)->SwitchImage(kUnit, target).IsInvalidArgument());  // not quiesced
  ASSERT_OK((*sys)->SetSwapContext(kUnit, {"", target, "J"}));
  ASSERT_OK((*sys)->Quiesce(kUnit, 1'000'000));
  EXPECT_FALSE((*sys)->SwitchImage(kUnit, dir_ / "missing.ckd").ok());
  ASSERT_OK((*sys)->SwitchImage(kUnit, target));
  ASSERT_OK((*sys)->Resume(kUnit));
  ASSERT_OK(io->WriteTrack(3, TrackWith(3, 0x33)));
  EXPECT_EQ(target, io->image_path());
  EXPECT_EQ(0x33, FillOf(target, 3));
  EXPECT_EQ(1u, io->stats().reopens);
  auto list = ListOnlineSystems(target);
  ASSERT_OK(list);
  EXPECT_EQ(1u, list->size());
}

}  // namespace
}  // namespace pas::host
