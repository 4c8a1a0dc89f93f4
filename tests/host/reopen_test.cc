// The reopen protocol of host/reopen.h between separate processes (each
// attaches the system and so has its own slot): a participant asks, the
// reopen user holds its open until released; a request nobody takes up is
// withdrawn; a dead user is not waited for; a dead participant releases
// the hold. doc/cckd-live.md, "The reopen at the swap".
#include "host/reopen.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "host/unit_table.h"
#include "host_test_util.h"

namespace pas::host {
namespace {

using namespace pas::host::testing;

class ReopenTest : public OneUnitSystemTest {
 protected:
  ReopenTest() : OneUnitSystemTest("SYSR") {}

  SwapContext Context() const {
    return SwapContext{image_ + ".pas-decision-0000000000000001", image_ + ".target", "0000000000000001"};
  }

  // A child that becomes the unit's reopen user, waits for a request,
  // holds it, and records: [0] 1 when holding, 2 when the hold returned,
  // [1] the request's image length.
  pid_t StartUser(std::atomic<uint32_t>* shared, bool hold = true) {
    return ForkChild([this, shared, hold] {
      auto sys = System::Attach(config_);
      if (!sys.ok()) return 1;
      if (!ClaimReopenUser(**sys, kTestUnit)) return 2;
      shared[2] = 1;  // claimed
      ReopenRequest r;
      for (int i = 0; i < 5000 && r.seq == 0; ++i) {
        r = PendingReopen(**sys, kTestUnit);
        if (r.seq == 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
      if (r.seq == 0) return 3;
      shared[1] = static_cast<uint32_t>(r.image.size());
      if (!hold) {
        while (shared[3].load() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));
        return 0;
      }
      shared[0] = 1;
      if (!HoldReopen(**sys, kTestUnit, r.seq)) return 4;
      shared[0] = 2;
      return 0;
    });
  }
};

TEST_F(ReopenTest, NoUserNothingToReopen) {
  auto sys = System::Attach(config_);
  ASSERT_OK(sys);
  EXPECT_FALSE(HasReopenUser(**sys, kTestUnit));
  auto r = RequestReopen(**sys, kTestUnit, image_, 1'000'000);
  ASSERT_OK(r);
  EXPECT_FALSE(*r);
  EXPECT_EQ(PendingReopen(**sys, kTestUnit).seq, 0u);
}

TEST_F(ReopenTest, HeldUntilReleased) {
  auto* shared = SharedArea<std::atomic<uint32_t>>(4);
  pid_t user = StartUser(shared);
  ASSERT_TRUE(WaitFor([&] { return shared[2].load() == 1; }));
  auto sys = System::Attach(config_);
  ASSERT_OK(sys);
  EXPECT_TRUE(HasReopenUser(**sys, kTestUnit));
  // A reopen is asked for during a swap: with the unit's swap context set.
  ASSERT_OK((*sys)->SetSwapContext(kTestUnit, Context()));
  auto r = RequestReopen(**sys, kTestUnit, image_, 5'000'000);
  ASSERT_OK(r);
  EXPECT_TRUE(*r);
  EXPECT_EQ(shared[1].load(), image_.size());
  // Held: the user's open does not proceed until the release.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(shared[0].load(), 1u);
  ReleaseReopen(**sys, kTestUnit);
  EXPECT_EQ(WaitChild(user), 0);
  EXPECT_EQ(shared[0].load(), 2u);
  // A second request finds the state idle again; the user is gone.
  EXPECT_FALSE(HasReopenUser(**sys, kTestUnit));
  auto again = RequestReopen(**sys, kTestUnit, image_, 200'000);
  ASSERT_OK(again);
  EXPECT_FALSE(*again);
}

TEST_F(ReopenTest, ARequestNotTakenUpIsWithdrawn) {
  auto* shared = SharedArea<std::atomic<uint32_t>>(4);
  pid_t user = StartUser(shared, /*hold=*/false);
  ASSERT_TRUE(WaitFor([&] { return shared[2].load() == 1; }));
  auto sys = System::Attach(config_);
  ASSERT_OK(sys);
  auto r = RequestReopen(**sys, kTestUnit, image_, 300'000);
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsTimedOut()) << r.status().ToString();
  EXPECT_EQ(PendingReopen(**sys, kTestUnit).seq, 0u);  // withdrawn
  shared[3] = 1;
  EXPECT_EQ(WaitChild(user), 0);
}

TEST_F(ReopenTest, ADeadUserIsNotWaitedFor) {
  auto* shared = SharedArea<std::atomic<uint32_t>>(4);
  pid_t user = ForkChild([&] {
    auto sys = System::Attach(config_);
    if (!sys.ok() || !ClaimReopenUser(**sys, kTestUnit)) return 1;
    shared[2] = 1;
    for (;;) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    return 0;
  });
  ASSERT_TRUE(WaitFor([&] { return shared[2].load() == 1; }));
  auto sys = System::Attach(config_);
  ASSERT_OK(sys);
  EXPECT_TRUE(HasReopenUser(**sys, kTestUnit));
  ::kill(user, SIGKILL);
  EXPECT_EQ(WaitChild(user), 128 + SIGKILL);
  const auto start = std::chrono::steady_clock::now();
  auto r = RequestReopen(**sys, kTestUnit, image_, 5'000'000);
  ASSERT_OK(r);
  EXPECT_FALSE(*r);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
  // Another process may claim the unit now.
  EXPECT_TRUE(ClaimReopenUser(**sys, kTestUnit));
  DropReopenUser(**sys, kTestUnit);
  EXPECT_FALSE(HasReopenUser(**sys, kTestUnit));
}

TEST_F(ReopenTest, ADeadParticipantReleasesTheHold) {
  auto* shared = SharedArea<std::atomic<uint32_t>>(4);
  pid_t user = StartUser(shared);
  ASSERT_TRUE(WaitFor([&] { return shared[2].load() == 1; }));
  pid_t participant = ForkChild([&] {
    auto sys = System::Attach(config_);
    if (!sys.ok()) return 1;
    if (!(*sys)->SetSwapContext(kTestUnit, Context()).ok()) return 3;
    auto r = RequestReopen(**sys, kTestUnit, image_, 5'000'000);
    if (!r.ok()) return 4;
    if (!*r) return 2;
    for (;;) std::this_thread::sleep_for(std::chrono::milliseconds(100));  // never releases
    return 0;
  });
  const bool held = WaitFor([&] { return shared[0].load() == 1; });
  if (!held) {
    ::kill(user, SIGKILL);
    ::kill(participant, SIGKILL);
  }
  ASSERT_TRUE(held) << "user " << WaitChild(user) << ", participant " << WaitChild(participant);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(shared[0].load(), 1u);  // still held
  ::kill(participant, SIGKILL);
  EXPECT_EQ(WaitChild(participant), 128 + SIGKILL);
  EXPECT_EQ(WaitChild(user, 10), 0);
  EXPECT_EQ(shared[0].load(), 2u);
}

}  // namespace
}  // namespace pas::host
