// Online is a fact on the storage: a system that has a unit online says so
// in the image's online registry from configuration load (or `pas vary
// online`) until `pas vary offline`, whether or not a process of it runs.
// Each case runs real pas processes and checks that refused operations
// change no byte of any image.
#include <gtest/gtest.h>

#include <map>

#include "swap_fixture.h"

namespace pas::swaptest {
namespace {

using pas::testing::ReadFile;

class OnlineFactTest : public SwapFixture {
 protected:
  void SetUp() override {
    src_ = MakeSourceVolume("src.ckd", "SRC001", 10, 15);
    tgt_ = MakeEmptyVolume("tgt.ckd", "TGT001", 10);
    sysa_ = Config("SYSA", "0A", {{"1887", src_}, {"B887", tgt_, true}});
  }
  std::map<std::string, std::string> Images() {
    return {{src_, ReadFile(src_)}, {tgt_, ReadFile(tgt_)}};
  }
  void ExpectUnchanged(const std::map<std::string, std::string>& before) {
    for (const auto& [path, bytes] : before) EXPECT_TRUE(ReadFile(path) == bytes) << path << " was changed";
  }
  std::string src_, tgt_, sysa_;
};

// SYSB has the target online but no process of it runs: SWAP and SWAPDUMP
// are refused before anything is written.
TEST_F(OnlineFactTest, TargetOnlineOnASystemWithNoProcessIsRefused) {
  const std::string sysb = Config("SYSB", "0B", {{"2887", tgt_}});
  ProcessResult d = Pas({"display", "2887", "--config", sysb});  // configuration load; then no process
  ASSERT_EQ(d.exit_code, 0) << d.out << d.err;
  for (const char* fn : {"SWAP", "SWAPDUMP", "SIMSWAP"}) {
    SCOPED_TRACE(fn);
    const auto before = Images();
    ProcessResult r = RunDeck(sysa_, std::string(fn) + " TYPE=FULL\nMOUNT VOL=SRC001,SWAPUNIT=B887\n");
    EXPECT_EQ(r.exit_code, 8) << r.out << r.err;
    EXPECT_TRUE(Contains(r.out + r.err, "PAS204E TARGET UNIT=B887 IS ONLINE ON SYSTEM SYSB")) << r.out << r.err;
    ExpectUnchanged(before);
  }
  // Varied offline there, the same SWAP runs.
  ProcessResult v = Pas({"vary", "2887", "offline", "--config", sysb});
  ASSERT_EQ(v.exit_code, 0) << v.out << v.err;
  ProcessResult r = RunDeck(sysa_, "SWAP TYPE=FULL\nMOUNT VOL=SRC001,SWAPUNIT=B887\n");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

// SYSB has the source online but no process and no monitor: it is still
// its volume, so NONRESPONDING=FAIL fails the swap and the source is as it
// was; EXCLUDE SYSTEM=SYSB drops the stale registration and the swap runs.
TEST_F(OnlineFactTest, SourceOnlineOnASystemWithNoProcessMustJoinOrBeExcluded) {
  const std::string sysb = Config("SYSB", "0B", {{"2887", src_}});
  ProcessResult d = Pas({"display", "2887", "--config", sysb});
  ASSERT_EQ(d.exit_code, 0) << d.out << d.err;
  const std::string src_before = ReadFile(src_);
  ProcessResult r = RunDeck(sysa_, "SWAP TYPE=FULL,NONRESPONDING=FAIL\nMOUNT VOL=SRC001,SWAPUNIT=B887\n",
                            {"PAS_JOIN_TIMEOUT=2"});
  EXPECT_EQ(r.exit_code, 8) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, "PAS222E")) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, "SYSB")) << r.out;
  EXPECT_TRUE(ReadFile(src_) == src_before) << "the source was changed";
  EXPECT_TRUE(Contains(DisplayLine(sysa_, "1887"), src_)) << DisplayLine(sysa_, "1887");

  r = RunDeck(sysa_, "SWAP TYPE=FULL,NONRESPONDING=FAIL\nMOUNT VOL=SRC001,SWAPUNIT=B887\nEXCLUDE SYSTEM=SYSB\n",
              {"PAS_JOIN_TIMEOUT=2"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, "PAS225I SYSTEM SYSB EXCLUDED")) << r.out;
}

// A changed OFFLINE statement takes effect although the unit table exists:
// first B887 is online (no OFFLINE), then the configuration says OFFLINE
// B887 and the swap to it runs.
TEST_F(OnlineFactTest, ChangedOfflineStatementTakesEffect) {
  const std::string online_cfg = Config("SYSA", "0A", {{"1887", src_}, {"B887", tgt_}});
  ProcessResult d = Pas({"display", "--config", online_cfg});
  ASSERT_EQ(d.exit_code, 0) << d.out << d.err;
  const auto before = Images();
  ProcessResult r = RunDeck(online_cfg, "SWAP TYPE=FULL\nMOUNT VOL=SRC001,SWAPUNIT=B887\n");
  EXPECT_EQ(r.exit_code, 8) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out + r.err, "PAS204E")) << r.out << r.err;
  ExpectUnchanged(before);

  const std::string offline_cfg = Config("SYSA", "0A", {{"1887", src_}, {"B887", tgt_, true}});
  r = RunDeck(offline_cfg, "SWAP TYPE=FULL\nMOUNT VOL=SRC001,SWAPUNIT=B887\n");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out + r.err, "PAS284I")) << r.out << r.err;
}

}  // namespace
}  // namespace pas::swaptest
