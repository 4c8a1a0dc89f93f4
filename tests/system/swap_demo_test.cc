// The README's main command: `pas demo` swaps a volume two systems are
// writing and verifies every write, then migrates a running Hercules whose
// guest writes (hercules is installed here: scripts/deps.sh); it must end
// with the success line.
#include <gtest/gtest.h>

#include "swap_fixture.h"

namespace pas::swaptest {
namespace {

class SwapDemoTest : public SwapFixture {};

TEST_F(SwapDemoTest, LiveDemoEndsSuccessfully) {
  ProcessResult r = Pas({"demo", "--dir", dir_ / "demo", "--seconds", "2", "--cylinders", "15"}, "", {}, 180);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, "PAS233I SYSB (SERIAL# 0B0002) ACKNOWLEDGES THE SWAP OF VOL=VM1887")) << r.out;
  EXPECT_TRUE(Contains(r.out, "PAS241I PAS SUCCESSFULLY COMPLETED SWAP OF VOL=VM1887 TO UNIT=B887")) << r.out;
  EXPECT_TRUE(Contains(r.out, "PAS175I VERIFY OF")) << r.out;
  EXPECT_TRUE(r.out.size() > 27 && r.out.substr(r.out.size() - 27) == "PAS SUCCESSFULLY COMPLETED\n") << r.out;
  EXPECT_TRUE(Contains(Dasdls(dir_ / "demo/b887.ckd"), "PAS.DEMO.PAYROLL"));
  // The live migration under Hercules and its closing check.
  EXPECT_TRUE(Contains(r.out, "PAS241I PAS SUCCESSFULLY COMPLETED SWAP OF VOL=VM0A80 TO UNIT=0B80")) << r.out;
  EXPECT_TRUE(Contains(r.out, "PAS685I EVERY ONE OF THE")) << r.out;
  EXPECT_TRUE(Contains(Dasdls(dir_ / "demo/new0b80.ckd"), "PAS.GUEST"));
  EXPECT_EQ(pas::testing::Run({"sh", "-c", "pgrep -f '[h]ercules -f " + dir_ / "demo/hercules.cnf" + "'"}).exit_code, 1)
      << "the demo left its Hercules running";
}

TEST_F(SwapDemoTest, BadOptionIsRefused) {
  ProcessResult r = Pas({"demo", "--cylinders", "2"});
  EXPECT_EQ(r.exit_code, 12) << r.out << r.err;
  EXPECT_TRUE(Contains(r.err, "PAS109E")) << r.err;
}

}  // namespace
}  // namespace pas::swaptest
