// Write pacing on the host I/O path (host/pacing.h), and the order of
// registration and freeze check in UnitIo::Open (a process stalled between
// the two is either listed by the swap job or sees the freeze).
#include "host/pacing.h"

#include <gtest/gtest.h>

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <string>

#include "host/decision.h"
#include "host/host_io.h"
#include "host/online_registry.h"
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

class PacingTest : public testing::OneUnitSystemTest {
 protected:
  PacingTest() : OneUnitSystemTest("PACESYS") {}
};

TEST_F(PacingTest, WritesArePacedOnlyWhileTheInterceptIsInstalled) {
  auto sys = System::Attach(config_);
  ASSERT_OK(sys);
  auto io = UnitIo::Open(**sys, kUnit);
  ASSERT_OK(io);
  ASSERT_OK(SetWritePacing(**sys, kUnit, 2000));
  auto pace = WritePacing(**sys, kUnit);
  ASSERT_OK(pace);
  EXPECT_EQ(2000u, *pace);

  // No intercept: the pace is not applied.
  ASSERT_OK(io->WriteTrack(20, TrackWith(20, 1)));
  EXPECT_EQ(0u, io->stats().paced_writes);

  ASSERT_OK((*sys)->InstallIntercept(kUnit));
  for (uint32_t t = 21; t < 26; ++t) ASSERT_OK(io->WriteTrack(t, TrackWith(t, 2)));
  ASSERT_OK(io->FormatTrack(26));
  auto cchh = ckd::TrackAddress(io->geometry(), 21);
  ASSERT_OK(io->UpdateRecord(cchh, 1, std::vector<uint8_t>(64, 3)));
  EXPECT_EQ(7u, io->stats().paced_writes);
  EXPECT_GE(io->stats().paced_us, 7 * 2000);  // a lower bound: each write slept at least the pace
  // Reads are never paced; the writes are all marked as usual.
  std::vector<uint8_t> slot(io->geometry().slot_size);
  ASSERT_OK(io->ReadTrack(21, slot));
  EXPECT_EQ(7u, io->stats().paced_writes);
  auto dirty = (*sys)->HarvestDirty(kUnit);
  ASSERT_OK(dirty);
  for (uint32_t t = 21; t <= 26; ++t) EXPECT_TRUE(dirty->Test(t)) << t;

  // Off again.
  ASSERT_OK(SetWritePacing(**sys, kUnit, 0));
  ASSERT_OK(io->WriteTrack(27, TrackWith(27, 4)));
  EXPECT_EQ(7u, io->stats().paced_writes);

  // Removing the intercept ends the pacing even when the pace is left set.
  ASSERT_OK(SetWritePacing(**sys, kUnit, 1000));
  ASSERT_OK((*sys)->RemoveIntercept(kUnit));
  ASSERT_OK(io->WriteTrack(28, TrackWith(28, 4)));
  EXPECT_EQ(7u, io->stats().paced_writes);
}

TEST_F(PacingTest, PaceIsBoundedAndUnknownUnitsAreRefused) {
  auto sys = System::Attach(config_);
  ASSERT_OK(sys);
  ASSERT_OK(SetWritePacing(**sys, kUnit, 1'000'000));
  auto pace = WritePacing(**sys, kUnit);
  ASSERT_OK(pace);
  EXPECT_EQ(kMaxPaceUs, *pace);
  EXPECT_TRUE(SetWritePacing(**sys, 0x0999, 100).IsNotFound());
  EXPECT_TRUE(WritePacing(**sys, 0x0999).status().IsNotFound());
}

// A pace set by a process that died (a job or monitor killed mid-swap) is
// never applied: the first writer clears it.
TEST_F(PacingTest, PaceOfADeadProcessIsClearedNotApplied) {
  auto sys = System::Attach(config_);
  ASSERT_OK(sys);
  ASSERT_OK((*sys)->InstallIntercept(kUnit));
  pid_t child = ForkChild([&] {
    auto other = System::Attach(config_);
    if (!other.ok()) return 1;
    if (!SetWritePacing(**other, kUnit, 4000).ok()) return 2;
    auto p = WritePacing(**other, kUnit);
    return p.ok() && *p == 4000 ? 0 : 3;
  });
  ASSERT_EQ(0, WaitChild(child, 30));
  auto pace = WritePacing(**sys, kUnit);
  ASSERT_OK(pace);
  EXPECT_EQ(0u, *pace);
  auto io = UnitIo::Open(**sys, kUnit);
  ASSERT_OK(io);
  ASSERT_OK(io->WriteTrack(30, TrackWith(30, 1)));
  ASSERT_OK(io->WriteTrack(31, TrackWith(31, 1)));
  EXPECT_EQ(0u, io->stats().paced_writes);
}

// UnitIo::Open registers before it reads the freeze marker. A process
// stopped between the two steps (fault point host.open_registered) is
// listed as online by anyone who lists after the freeze — the job lists the
// systems to wait for after freezing — and when it continues it sees the
// freeze, drops its registration and waits for the decision.
TEST_F(PacingTest, OpenStalledAfterRegisteringIsListedOrSeesTheFreeze) {
  if (std::getenv("PAS_HOST_TEST_ROLE") != nullptr) {
    auto sys = System::Attach(MakeConfig("LATESYS", {{0x0300, image_}}));
    ASSERT_OK(sys);
    auto io = UnitIo::Open(**sys, 0x0300);
    ASSERT_OK(io);
    ASSERT_EQ(image_, io->image_path());  // the decision was SOURCE
    ASSERT_OK(io->WriteTrack(40, TrackWith(40, 9)));
    return;
  }
  std::string target = dir_ / "tgt.ckd";
  ASSERT_OK(MakeVolume(target));
  std::string decision = target + ".pas-decision-RACE";
  std::string filter = "--gtest_filter=" +
                       std::string(::testing::UnitTest::GetInstance()->current_test_suite()->name()) + "." +
                       ::testing::UnitTest::GetInstance()->current_test_info()->name();
  ::pas::testing::Child child({"/proc/self/exe", filter},
                              {"PAS_HOST_TEST_ROLE=late_opener", "PAS_HOST_TEST_IMAGE=" + image_,
                               "PAS_FAULT_POINT=host.open_registered:1:stop",
                               "PAS_RUNTIME_DIR=" + (dir_ / "run")});
  auto stopped = [&] {
    std::ifstream stat("/proc/" + std::to_string(child.pid()) + "/stat");
    std::string line;
    std::getline(stat, line);
    auto paren = line.rfind(')');
    return paren != std::string::npos && paren + 2 < line.size() && line[paren + 2] == 'T';
  };
  ASSERT_TRUE(WaitFor(stopped, 30000)) << child.Stderr();
  // The job's order: freeze, then list.
  ASSERT_OK(FreezeRegistry(image_, decision, target));
  auto listed = SystemRegistered(image_, "LATESYS");
  ASSERT_OK(listed);
  EXPECT_TRUE(*listed) << "registered before the freeze check, so the job's list must hold it";
  ::kill(child.pid(), SIGCONT);
  // It sees the freeze, is not a participant, and waits unregistered.
  EXPECT_TRUE(WaitFor([&] {
    auto r = SystemRegistered(image_, "LATESYS");
    return r.ok() && !*r;
  }));
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  EXPECT_TRUE(child.Running());
  ASSERT_OK(Decide(decision, Decision::kSource));
  EXPECT_EQ(0, child.Wait(30)) << child.Stdout() << child.Stderr();
}

// A process of a system that takes part in the swap (its unit has the swap
// context of that decision) opens at once during the freeze.
TEST_F(PacingTest, ParticipantSystemOpensDuringTheFreeze) {
  std::string target = dir_ / "tgt.ckd";
  ASSERT_OK(MakeVolume(target));
  std::string decision = target + ".pas-decision-PART";
  auto sys = System::Attach(config_);
  ASSERT_OK(sys);
  ASSERT_OK(FreezeRegistry(image_, decision, target));
  ASSERT_OK((*sys)->SetSwapContext(kUnit, SwapContext{decision, target, "PART"}));
  auto* opened = SharedArea<std::atomic<uint32_t>>();
  pid_t child = ForkChild([&] {
    auto s = System::Attach(config_);
    if (!s.ok()) return 1;
    auto io = UnitIo::Open(**s, kUnit);
    if (!io.ok()) return 2;
    opened->store(1);
    return io->image_path() == image_ ? 0 : 3;
  });
  EXPECT_EQ(0, WaitChild(child, 30));
  EXPECT_EQ(1u, opened->load());
  // A process of a system without that context waits for the decision.
  ASSERT_OK((*sys)->ClearSwapContext(kUnit));
  pid_t waiter = ForkChild([&] {
    auto s = System::Attach(config_);
    if (!s.ok()) return 1;
    auto io = UnitIo::Open(**s, kUnit);
    return io.ok() && io->image_path() == target ? 0 : 2;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  int status = 0;
  EXPECT_EQ(0, ::waitpid(waiter, &status, WNOHANG));  // still waiting
  ASSERT_OK(Decide(decision, Decision::kSwap));
  EXPECT_EQ(0, WaitChild(waiter, 30));
}

}  // namespace
}  // namespace pas::host
