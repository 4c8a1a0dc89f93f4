// The unit table after a SWAP: the two units exchange images the way the
// rewritten configuration file does, and a table that missed the exchange
// takes it from the rewritten file while processes of the system live.
#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>

#include "host/host_io.h"
#include "host/unit_table.h"
#include "host_test_util.h"

namespace pas::host {
namespace {

using ::pas::testing::ScratchDir;

class ExchangeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::setenv("PAS_RUNTIME_DIR", (dir_ / "run").c_str(), 1);
    ASSERT_TRUE(testing::MakeVolume(a_).ok());
    ASSERT_TRUE(testing::MakeVolume(b_).ok());
  }
  void TearDown() override { ::unsetenv("PAS_RUNTIME_DIR"); }
  SystemConfig Config(const std::string& img0a80, const std::string& img0b80) {
    SystemConfig c = testing::MakeConfig("SYSX", {{0x0A80, img0a80}, {0x0B80, img0b80}});
    c.units[1].offline = true;
    return c;
  }
  ScratchDir dir_;
  std::string a_ = dir_ / "a.ckd", b_ = dir_ / "b.ckd";
};

TEST_F(ExchangeTest, TargetUnitNamesTheOldSourceAndTheRewrittenFileAttaches) {
  auto sys = System::Attach(Config(a_, b_));
  ASSERT_TRUE(sys.ok()) << sys.status().ToString();
  System& s = **sys;
  ASSERT_TRUE(s.Quiesce(0x0A80, 1'000'000).ok());
  ASSERT_TRUE(s.SwitchImage(0x0A80, b_).ok());
  ASSERT_TRUE(s.Resume(0x0A80).ok());
  ASSERT_TRUE(s.ExchangeImagesAfterSwap(0x0A80, 0x0B80, a_, true).ok());
  EXPECT_EQ(s.Status(0x0A80)->image_path, b_);
  EXPECT_EQ(s.Status(0x0B80)->image_path, a_);
  // A process started with the rewritten file attaches (this one lives).
  auto second = System::Attach(Config(b_, a_));
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  // A unit list that is not such an exchange is still refused.
  auto other = System::Attach(Config(b_, dir_ / "c.ckd"));
  EXPECT_FALSE(other.ok());
}

TEST_F(ExchangeTest, ATableThatMissedTheExchangeTakesItFromTheFile) {
  auto sys = System::Attach(Config(a_, b_));
  ASSERT_TRUE(sys.ok());
  // The file was rewritten, the table not (its writer died in between).
  auto second = System::Attach(Config(b_, a_));
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  // Any other difference is still refused while the system lives.
  auto other = System::Attach(Config(b_, dir_ / "c.ckd"));
  ASSERT_FALSE(other.ok());
  EXPECT_NE(other.status().message().find("PAS192E"), std::string::npos) << other.status().message();
}

TEST_F(ExchangeTest, AMovedMarkerIsNotFollowedOntoAnImageAnotherOnlineUnitUses) {
  // After the swap 0A80 uses b (the volume), 0B80 names the relabelled a,
  // whose registry says the volume moved to b. Brought online, 0B80 stays
  // on a.
  auto sys = System::Attach(Config(a_, b_));
  ASSERT_TRUE(sys.ok());
  System& s = **sys;
  ASSERT_TRUE(s.Quiesce(0x0A80, 1'000'000).ok());
  ASSERT_TRUE(s.SwitchImage(0x0A80, b_).ok());
  ASSERT_TRUE(s.Resume(0x0A80).ok());
  ASSERT_TRUE(s.ExchangeImagesAfterSwap(0x0A80, 0x0B80, a_, true).ok());
  ASSERT_TRUE(MarkMoved(a_, b_).ok());
  ASSERT_TRUE(s.Vary(0x0B80, true).ok());
  auto io = UnitIo::Open(s, 0x0B80);
  ASSERT_TRUE(io.ok()) << io.status().ToString();
  EXPECT_EQ(io->image_path(), a_);
  EXPECT_EQ(s.Status(0x0B80)->image_path, a_);
}

}  // namespace
}  // namespace pas::host
