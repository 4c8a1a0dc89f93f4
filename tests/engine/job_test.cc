// The swap job's pure helpers and its refusal paths, in process.
#include "engine/job.h"

#include <cstdlib>

#include <gtest/gtest.h>

#include "engine/participant.h"
#include "host/config.h"
#include "statements/parser.h"
#include "test_util.h"

namespace pas::engine {
namespace {

using pas::testing::ScratchDir;

TEST(RelabelVolserTest, PasAndLastThreeHexDigitsOfTheTarget) {
  EXPECT_EQ(RelabelVolser(0xB887), "PAS887");
  EXPECT_EQ(RelabelVolser(0x17C4), "PAS7C4");
  EXPECT_EQ(RelabelVolser(0x0001), "PAS001");
}

TEST(DecisionPathTest, NamesTheJob) {
  EXPECT_EQ(JobIdHex(0x1ABull), "00000000000001ab");
  EXPECT_EQ(DecisionPath("/v/b887.ckd", 0xFFull), "/v/b887.ckd.pas-decision-00000000000000ff");
}

TEST(RunJobTest, UnknownVolumeFailsTheVolumeWithPas316e) {
  ScratchDir dir;
  ::setenv("PAS_RUNTIME_DIR", (dir / "runtime").c_str(), 1);
  auto config = host::ParseSystemConfig("LPARNAME SYSX\n", dir / "x.cnf");
  ASSERT_OK(config);
  auto parsed = statements::ParseDeck("  SWAP TYPE=FULL\n  MOUNT VOL=NOSUCH,SWAPUNIT=B887\n", "deck");
  ASSERT_TRUE(parsed.ok());
  FILE* out = std::tmpfile();
  report::Reporter rep(out);
  JobOptions o;
  o.reporter = &rep;
  JobResult r = RunJob(*parsed.plan, *config, o);
  EXPECT_EQ(r.condition_code, report::kCcVolumeFailed);
  ASSERT_EQ(r.volumes.size(), 1u);
  EXPECT_EQ(r.volumes[0].status, "FAILED");
  ASSERT_EQ(r.history.size(), 1u);
  EXPECT_NE(r.history[0].message.find("PAS316E"), std::string::npos);
  std::fclose(out);
}

TEST(RunJobTest, MonitorPlanIsNotAJob) {
  ScratchDir dir;
  auto config = host::ParseSystemConfig("LPARNAME SYSX\n", dir / "x.cnf");
  ASSERT_OK(config);
  auto parsed = statements::ParseDeck("  MONITOR TYPE=SWAP\n  MOUNT SWAPUNIT=B8**\n", "deck");
  ASSERT_TRUE(parsed.ok());
  FILE* out = std::tmpfile();
  report::Reporter rep(out);
  JobOptions o;
  o.reporter = &rep;
  EXPECT_EQ(RunJob(*parsed.plan, *config, o).condition_code, report::kCcJobFailed);
  std::fclose(out);
}

}  // namespace
}  // namespace pas::engine
