// The test harness itself: a process that outlives its timeout is described
// (its threads' wait channels and stacks, and gdb's backtraces) before it is
// killed, so a hang seen once in a suite run can be diagnosed from the log.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>

#include "test_util.h"

namespace pas::testing {
namespace {

TEST(TestUtilRun, AProcessPastItsTimeoutIsDescribedThenKilled) {
  const auto start = std::chrono::steady_clock::now();
  ProcessResult r = pas::testing::Run({"sleep", "60"}, "", {}, 1);
  EXPECT_TRUE(r.timed_out);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(50)) << "not killed";
  EXPECT_NE(r.err.find("timed out; its threads"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("wchan"), std::string::npos) << r.err;
  if (std::filesystem::exists("/usr/bin/gdb")) {
    EXPECT_NE(r.err.find("--- gdb:"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("#0"), std::string::npos) << "no backtrace:\n" << r.err;
  }
}

TEST(TestUtilRun, AProcessThatEndsInTimeIsNotDescribed) {
  ProcessResult r = pas::testing::Run({"sh", "-c", "echo out; echo err >&2"}, "", {}, 30);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "out\n");
  EXPECT_EQ(r.err, "err\n");
}

}  // namespace
}  // namespace pas::testing
