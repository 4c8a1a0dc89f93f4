// Compressed (CCKD) volumes in every mode, with real processes: CKD to CCKD
// (a `dasdinit -z` target), CCKD (made by dasdcopy -z) to CKD, CCKD to a
// larger CCKD under LARGERSIZE=OK, all under workload where the mode copies;
// SIMSWAP and SIMSWAPMON write nothing. Targets are checked with
// `cckdcdsk -3`, dasdls and `pas workload verify`.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "ckd/vtoc.h"
#include "swap_fixture.h"

namespace pas::swaptest {
namespace {

using pas::testing::ReadFile;

class SwapCckdTest : public SwapFixture {
 protected:
  // A compressed copy of a fresh source volume, made by Hercules' dasdcopy.
  std::string MakeCompressedSource(const std::string& name, const std::string& volser) {
    const std::string plain = MakeSourceVolume(name + ".plain", volser);
    const std::string path = dir_ / name;
    ProcessResult r = pas::testing::RunDasdcopy({"-z", plain, path});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    return path;
  }
  // An empty compressed target as `dasdinit -z` makes it.
  std::string MakeCompressedTarget(const std::string& name, const std::string& volser,
                                   uint32_t cylinders = 20) {
    const std::string path = dir_ / name;
    ProcessResult r = pas::testing::Run(
        {"dasdinit", "-z", path, "3390-1", volser, std::to_string(cylinders)}, "", {}, 60);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    return path;
  }
  static std::string Cdsk(const std::string& image) {
    ProcessResult r = pas::testing::Run({"cckdcdsk", "-3", "-ro", image}, "", {}, 60);
    return r.out + r.err;
  }
  static std::string Deck(const std::string& function, const std::string& extra = "") {
    return "  " + function + " TYPE=FULL" + extra + "\n  MOUNT VOL=VM1887,SWAPUNIT=B887\n";
  }
};

TEST_F(SwapCckdTest, SwapCkdToCckdUnderWorkloadCompressesAndLosesNothing) {
  const std::string src = MakeSourceVolume("vm1887.ckd", "VM1887");
  const std::string tgt = MakeCompressedTarget("b887.cckd", "NEW887");
  const std::string cfg = Config("SYSA", "0A0001", {{"1887", src}, {"B887", tgt, true}});
  auto w = Workload(cfg, "1887", "ja", 0, 1, 4);
  ProcessResult r = RunDeck(cfg, Deck("SWAP"));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, "PAS241I")) << r.out;
  EXPECT_EQ(w->Wait(60), 0) << w->Stderr();
  // The system follows to the compressed target and keeps writing there.
  EXPECT_TRUE(Contains(DisplayLine(cfg, "1887"), tgt)) << DisplayLine(cfg, "1887");
  ProcessResult v = Verify(tgt, {"ja"});
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
  EXPECT_EQ(Cdsk(tgt), "");
  EXPECT_TRUE(Contains(Dasdls(tgt), "PAS.TEST.DATA"));
  EXPECT_EQ(Volser(tgt), "VM1887");
  auto img = ckd::CkdImage::Open(tgt, false);
  ASSERT_OK(img);
  EXPECT_TRUE(img->compressed());
}

TEST_F(SwapCckdTest, SwapDumpCckdToCkdGivesAnEqualCopy) {
  const std::string src = MakeCompressedSource("vm1887.cckd", "VM1887");
  const std::string tgt = MakeEmptyVolume("b887.ckd", "NEW887");
  const std::string cfg = Config("SYSA", "0A0001", {{"1887", src}, {"B887", tgt, true}});
  ProcessResult r = RunDeck(cfg, Deck("SWAPDUMP"));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, "PAS242I")) << r.out;
  ProcessResult c = Pas({"volume", "compare", src, tgt});
  EXPECT_EQ(c.exit_code, 0) << c.out << c.err;
  EXPECT_EQ(Volser(src), "VM1887");
  EXPECT_TRUE(Contains(Dasdls(tgt), "PAS.TEST.DATA"));
}

TEST_F(SwapCckdTest, SwapCckdToLargerCckdUnderWorkload) {
  const std::string src = MakeCompressedSource("vm1887.cckd", "VM1887");
  const std::string tgt = MakeCompressedTarget("b887.cckd", "NEW887", 30);
  const std::string cfg = Config("SYSA", "0A0001", {{"1887", src}, {"B887", tgt, true}});
  auto w = Workload(cfg, "1887", "ja", 0, 1, 4);
  ProcessResult r = RunDeck(cfg, Deck("SWAP", ",LARGERSIZE=OK"));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, "PAS241I")) << r.out;
  EXPECT_EQ(w->Wait(60), 0) << w->Stderr();
  ProcessResult v = Verify(tgt, {"ja"});
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
  EXPECT_EQ(Cdsk(tgt), "");
  EXPECT_EQ(Cdsk(src), "");  // the relabelled old source is a valid compressed file too
  auto img = ckd::CkdImage::Open(tgt, false);
  ASSERT_OK(img);
  auto vtoc = ckd::ReadVtoc(*img);
  ASSERT_OK(vtoc);
  EXPECT_EQ(vtoc->f4_cylinders, 30u);
  EXPECT_TRUE(Contains(Dasdls(tgt), "PAS.TEST.TEXT"));
}

TEST_F(SwapCckdTest, SimSwapAndSimSwapMonWriteNothingOnCompressedVolumes) {
  const std::string src = MakeCompressedSource("vm1887.cckd", "VM1887");
  const std::string tgt = MakeCompressedTarget("b887.cckd", "NEW887");
  const std::string cfg_a = Config("SYSA", "0A0001", {{"1887", src}, {"B887", tgt, true}});
  const std::string cfg_b = Config("SYSB", "0B0002", {{"2887", src}, {"C887", tgt, true}});
  const std::string src_before = ReadFile(src), tgt_before = ReadFile(tgt);
  ProcessResult r = RunDeck(cfg_a, Deck("SIMSWAP"));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, "PAS265I SIMSWAP OF VOL=VM1887 COMPLETED")) << r.out;
  EXPECT_TRUE(ReadFile(src) == src_before);
  EXPECT_TRUE(ReadFile(tgt) == tgt_before);
  // SIMSWAPMON: SYSB writes the compressed source while its monitor joins
  // and leaves; the target is untouched and nothing written is lost.
  auto mon = Monitor(cfg_b, "C887");
  auto wb = Workload(cfg_b, "2887", "jb", 0, 1, 3);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  r = RunDeck(cfg_a, Deck("SIMSWAPMON"), {"PAS_JOIN_TIMEOUT=10"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, "PAS263I SIMSWAPMON VOL=VM1887: SYSB JOINED AND LEFT")) << r.out;
  EXPECT_EQ(wb->Wait(30), 0) << wb->Stderr();
  EXPECT_TRUE(ReadFile(tgt) == tgt_before);
  ProcessResult v = Verify(src, {"jb"});
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
  EXPECT_EQ(Cdsk(src), "");
  mon->Kill();
}

}  // namespace
}  // namespace pas::swaptest
