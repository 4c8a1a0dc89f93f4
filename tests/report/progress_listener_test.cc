// The ProgressReporter's listener (what `pas status` is fed from): every
// volume's state with its figures after each change, `changed` set for a
// new volume, a new phase or pass, the end of a pass and a finished
// volume; Phase() records without printing a PAS250I message.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "base/clock.h"
#include "report/progress.h"
#include "test_util.h"

namespace pas::report {
namespace {

using pas::testing::ReadFile;
using pas::testing::ScratchDir;

struct Call {
  std::vector<VolumeSnapshot> volumes;
  bool changed;
};

TEST(ProgressListener, GetsEveryVolumeWithFiguresAndMarksChanges) {
  ScratchDir dir;
  FILE* out = std::fopen((dir / "p").c_str(), "w");
  ManualClock clock(0);
  ProgressReporter pr(out, ProgressReporter::Mode::kMessages, &clock, 10'000'000);
  std::vector<Call> calls;
  pr.SetListener([&](const std::vector<VolumeSnapshot>& v, bool changed) { calls.push_back({v, changed}); });

  VolumeProgress p{.volser = "VM1887", .source_unit = "1887", .target_unit = "B887", .phase = "JOIN", .pass = 0};
  pr.Phase(p);  // new volume
  p.phase = "COPY";
  p.pass = 1;
  p.tracks_total = 1000;
  pr.Phase(p);  // new phase and pass
  clock.Advance(2'000'000);
  p.tracks_done = 500;
  p.bytes_done = 500 * 56664;
  pr.Update(p);  // within the pass
  clock.Advance(2'000'000);
  p.tracks_done = 1000;
  p.bytes_done = 1000 * 56664;
  pr.Update(p);  // end of the pass
  VolumeProgress q{.volser = "VM1888", .source_unit = "1888", .target_unit = "B888", .phase = "VALIDATE"};
  pr.Phase(q);  // a second volume
  pr.Finish("VM1887");
  std::fclose(out);

  ASSERT_EQ(calls.size(), 6u);
  EXPECT_TRUE(calls[0].changed);
  EXPECT_TRUE(calls[1].changed);
  EXPECT_FALSE(calls[2].changed);
  EXPECT_TRUE(calls[3].changed);
  EXPECT_TRUE(calls[4].changed);
  EXPECT_TRUE(calls[5].changed);
  ASSERT_EQ(calls[2].volumes.size(), 1u);
  const VolumeSnapshot& mid = calls[2].volumes[0];
  EXPECT_EQ(mid.progress.phase, "COPY");
  EXPECT_DOUBLE_EQ(mid.figures.percent, 50.0);
  // 500 tracks of 56,664 bytes in 2 s: 14.166 MB/s; 500 tracks left at 4 ms each.
  EXPECT_NEAR(mid.figures.rate_mbps, 14.166, 0.001);
  EXPECT_NEAR(mid.figures.eta_seconds, 2.0, 0.001);
  ASSERT_EQ(calls[4].volumes.size(), 2u);
  ASSERT_EQ(calls[5].volumes.size(), 1u);
  EXPECT_EQ(calls[5].volumes[0].progress.volser, "VM1888");
  // Phase() printed nothing; the first Update of pass 1 printed one line.
  std::string text = ReadFile(dir / "p");
  int lines = 0;
  for (char c : text) lines += c == '\n';
  EXPECT_EQ(lines, 1) << text;
  EXPECT_NE(text.find("PAS250I VOL=VM1887 COPY PASS 1 50.0%"), std::string::npos) << text;
}

TEST(ProgressListener, FiguresBeforeAnyCopyAreUnknown) {
  VolumeProgress p{.volser = "VM1887", .phase = "JOIN"};
  ProgressFigures f = ComputeFigures(p, 3.0);
  EXPECT_EQ(f.percent, 0.0);
  EXPECT_EQ(f.rate_mbps, 0.0);
  EXPECT_LT(f.eta_seconds, 0.0);
}

}  // namespace
}  // namespace pas::report
