// The monitor as the systemd service runs it (`pas monitor --unit ****
// --dynmon`): it watches every unit of its system, and a unit that is
// online when it starts and varied offline later is taken up, so a swap to
// it is joined without restarting the monitor.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <thread>

#include "swap_fixture.h"

namespace pas::swaptest {
namespace {

class MonitorDynmonTest : public SwapFixture {};

TEST_F(MonitorDynmonTest, UnitVariedOfflineLaterIsWatchedAndTheSwapJoined) {
  const std::string src = MakeSourceVolume("vm1887.ckd", "VM1887");
  const std::string tgt = MakeEmptyVolume("b887.ckd", "NEW887");
  const std::string cfg_a = Config("SYSA", "0A0001", {{"1887", src}, {"B887", tgt, true}});
  // On SYSB the future target is online when the monitor starts.
  const std::string cfg_b = Config("SYSB", "0B0002", {{"2887", src}, {"C887", tgt, false}});
  auto mon = Start({"monitor", "--unit", "****", "--dynmon", "--config", cfg_b}, "monitor");
  auto wb = Workload(cfg_b, "2887", "jb", 0, 1, 25, 1);
  const std::string simswap = "  SIMSWAP TYPE=FULL\n  MOUNT VOL=VM1887,SWAPUNIT=B887\n";

  // With C887 online on SYSB the target is online somewhere: SIMSWAP refuses
  // it (the target must be offline everywhere), and nothing watches it.
  ProcessResult r;
  for (int i = 0; i < 100; ++i) {
    r = RunDeck(cfg_a, simswap);
    if (Contains(r.out, "PAS204E")) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(Contains(r.out, "PAS204E TARGET UNIT=B887 IS ONLINE ON SYSTEM SYSB"))
      << r.out << r.err;

  ProcessResult vary = Pas({"vary", "C887", "offline", "--config", cfg_b});
  ASSERT_EQ(vary.exit_code, 0) << vary.out << vary.err;
  for (int i = 0; i < 100; ++i) {
    r = RunDeck(cfg_a, simswap);
    if (Contains(r.out, "PAS261I")) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(Contains(r.out, "PAS261I SIMSWAP VOL=VM1887: SYSTEM SYSB HAS UNIT=2887 ONLINE; MONITOR UP"))
      << r.out << r.err << mon->Stdout();

  r = RunDeck(cfg_a, "  SWAP TYPE=FULL,NONRESPONDING=FAIL\n  MOUNT VOL=VM1887,SWAPUNIT=B887\n",
              {"PAS_JOIN_TIMEOUT=20"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, "PAS233I SYSB (SERIAL# 0B0002) ACKNOWLEDGES THE SWAP OF VOL=VM1887")) << r.out;
  EXPECT_TRUE(Contains(r.out, "PAS241I PAS SUCCESSFULLY COMPLETED SWAP OF VOL=VM1887 TO UNIT=B887")) << r.out;
  EXPECT_TRUE(Contains(DisplayLine(cfg_b, "2887"), tgt)) << DisplayLine(cfg_b, "2887");

  // DYNMON: the monitor is still running after the swap.
  EXPECT_TRUE(mon->Running()) << mon->Stdout() << mon->Stderr();
  mon->Kill(SIGTERM);
  EXPECT_EQ(mon->Wait(30), 0) << mon->Stdout() << mon->Stderr();
  EXPECT_TRUE(Contains(mon->Stdout(), "PAS271I")) << mon->Stdout();
  // Every write SYSB's workload was told was done is on the target.
  EXPECT_EQ(wb->Wait(60), 0) << wb->Stdout() << wb->Stderr();
  ProcessResult v = Verify(tgt, {"jb"});
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
}

}  // namespace
}  // namespace pas::swaptest
