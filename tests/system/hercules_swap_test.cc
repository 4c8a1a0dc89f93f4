// Live migration under a real, unmodified Hercules started through
// `pas exec`, with the project's ESA/390 guest writing the volume
// (doc/hercules-guest.md): SWAP while the guest writes as fast as it can,
// SWAPDUMP, SIMSWAP and SIMSWAPMON, the job killed in every phase,
// Hercules killed in the middle of a swap, and a Hercules system sharing
// the volume with a `pas workload` system through a monitor.
//
// The oracle is the guest itself: its count of completed writes (read over
// the Hercules HTTP console) says what every track must hold, and the
// record check reads the image through src/ckd.
#include <gtest/gtest.h>

#include <signal.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "ckd/vtoc.h"
#include "ckd/fresh.h"
#include "system/hercules_fixture.h"

namespace pas::swaptest {
namespace {

class HerculesSwap : public HerculesFixture {
 protected:
  // SYSA: Hercules under pas exec, the guest writing unit 0A80 on VM1887;
  // empty targets B887 and D887 offline (on #PAS lines).
  void SetUpSystem(uint32_t delay_us, uint32_t tracks = 150) {
    const std::string missing = MissingTools();
    ASSERT_EQ(missing, "") << missing;
    sys_ = &NewSystem("SYSA");
    src_ = GuestVolume("vm1887.ckd", "VM1887", tracks, &sys_->params.first_track);
    // Targets as a user makes them, marked freshly formatted: Hercules
    // then runs on targets whose empty tracks the job did not format.
    tgt_ = InitVolume("b887.ckd", "NEW887", 15);
    fresh_ = InitVolume("d887.ckd", "NEW888", 15);
    sys_->params.delay_us = delay_us;
    sys_->params.tracks = tracks;
    sys_->config = HerculesConfig("SYSA", "0A0001", sys_->port, src_, {{"B887", tgt_}, {"D887", fresh_}});
    std::string why = StartHercules(*sys_);
    ASSERT_EQ(why, "") << why;
  }

  ProcessResult RunFunction(const std::string& function, const std::string& target,
                            const std::vector<std::string>& env = {}) {
    return RunDeck(sys_->config,
                   "  " + function + " TYPE=FULL,NONRESPONDING=FAIL\n  MOUNT VOL=VM1887,SWAPUNIT=" + target + "\n",
                   env, 120);
  }

  // Waits until unit `unit` of `cfg` shows no intercept and no quiesce;
  // returns "" and its image, or what is wrong.
  std::string SettleUnit(const std::string& cfg, const std::string& unit, std::string* image, int seconds = 20) {
    std::string why;
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    do {
      UnitView v = View(cfg, unit);
      if (!v.found) {
        ProcessResult d = Pas({"display", "--config", cfg});
        why = "unit " + unit + " is not displayed: " + d.out + d.err;
      }
      else if (v.intercept) why = "intercept left installed on " + unit;
      else if (v.quiesced) why = "unit " + unit + " left quiesced";
      else {
        *image = v.image;
        return "";
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    } while (std::chrono::steady_clock::now() < until);
    return why;
  }

  // The guest keeps writing: `more` writes beyond the current count.
  void ExpectRising(uint32_t more = 500) {
    hercules::GuestCounters c = Counters(*sys_);
    EXPECT_TRUE(WaitForWrites(*sys_, c.writes, more)) << "the guest stopped writing at " << c.writes << "\n"
                                                      << Log(*sys_);
    EXPECT_EQ(Counters(*sys_).errors, 0u) << Log(*sys_);
  }

  void Report(const std::string& what, const ProcessResult& job, const hercules::GuestCounters& c) {
    std::printf("%s: job rc %d, passes %s, job's longest pause %s, guest's longest write %.3f ms (at write %u of %u)\n",
                what.c_str(), job.exit_code, Stat(job.out, "PASSES").c_str(),
                Stat(job.out, "LONGEST I/O PAUSE (MS)").c_str(), c.longest_us / 1000.0, c.longest_at, c.writes);
    RecordProperty(what + "_passes", Stat(job.out, "PASSES"));
    RecordProperty(what + "_guest_longest_us", std::to_string(c.longest_us));
  }

  std::string src_, tgt_, fresh_;
  HerculesSystem* sys_ = nullptr;
};

// Item 4 and 5: the guest writes as fast as it can (hundreds of thousands
// of track writes a second on an idle machine); the swap converges, the
// guest keeps running across it, and afterwards every track on the target
// holds the last write the guest saw complete.
TEST_F(HerculesSwap, SwapWhileTheGuestWritesAsFastAsItCan) {
  SetUpSystem(/*delay_us=*/0);
  if (HasFatalFailure()) return;
  ASSERT_OK(sys_->console.ResetLongest());
  const hercules::GuestCounters before = Counters(*sys_);
  ProcessResult job = RunFunction("SWAP", "B887");
  const hercules::GuestCounters after = Counters(*sys_);
  ASSERT_EQ(job.exit_code, 0) << job.out << job.err << Log(*sys_);
  EXPECT_TRUE(Contains(job.out, "PAS241I")) << job.out;
  EXPECT_TRUE(Contains(job.out, "PAS249I TARGET OF VOL=VM1887: 0 EMPTY TRACKS FORMATTED")) << job.out;
  EXPECT_GT(after.writes, before.writes) << "the guest wrote nothing during the swap";
  ExpectRising();
  Report("swap", job, after);

  std::string image;
  std::string why = SettleUnit(sys_->config, "0A80", &image);
  ASSERT_EQ(why, "") << why;
  EXPECT_EQ(image, tgt_);
  const hercules::GuestCounters c = StopGuest(*sys_);
  EXPECT_EQ(c.errors, 0u);
  why = CheckAfterStop(tgt_, sys_->params, c);
  EXPECT_EQ(why, "") << why;
  EXPECT_EQ(Volser(src_), "PAS887");  // the old source is relabelled
  EXPECT_EQ(Volser(tgt_), "VM1887");
  Quit(*sys_);
  EXPECT_TRUE(Contains(Dasdls(tgt_), "PAS.GUEST")) << Dasdls(tgt_);
  // Nothing of the guest's went to the old source after the swap: its
  // tracks there are older than the target's.
  auto on_source = hercules::ReadGuestSequences(src_, sys_->params, c.run_id);
  ASSERT_TRUE(on_source.ok()) << on_source.status().ToString();
  uint32_t newest_on_source = 0;
  for (uint32_t s : *on_source) newest_on_source = std::max(newest_on_source, s);
  EXPECT_LE(newest_on_source, after.writes + 1);
  EXPECT_LT(newest_on_source, c.writes);
}

// SWAPDUMP: the target is a point-in-time copy (the guest's volume after
// exactly K writes); the guest stays on the source and loses nothing.
TEST_F(HerculesSwap, SwapDumpLeavesAPointInTimeCopyAndTheGuestOnTheSource) {
  SetUpSystem(/*delay_us=*/50);
  if (HasFatalFailure()) return;
  ProcessResult job = RunFunction("SWAPDUMP", "B887");
  ASSERT_EQ(job.exit_code, 0) << job.out << job.err << Log(*sys_);
  ExpectRising();
  std::string image;
  std::string why = SettleUnit(sys_->config, "0A80", &image);
  ASSERT_EQ(why, "") << why;
  EXPECT_EQ(image, src_);
  const hercules::GuestCounters running = Counters(*sys_);
  auto seqs = hercules::ReadGuestSequences(tgt_, sys_->params, running.run_id);
  ASSERT_TRUE(seqs.ok()) << seqs.status().ToString();
  auto k = hercules::CheckPointInTime(*seqs);
  ASSERT_TRUE(k.ok()) << k.status().ToString();
  EXPECT_GT(*k, 0u);
  EXPECT_LT(*k, running.writes);
  const hercules::GuestCounters c = StopGuest(*sys_);
  why = CheckAfterStop(src_, sys_->params, c);
  EXPECT_EQ(why, "") << why;
  EXPECT_EQ(Volser(src_), "VM1887");
  Quit(*sys_);
  EXPECT_TRUE(Contains(Dasdls(tgt_), "PAS.GUEST")) << Dasdls(tgt_);
}

// SIMSWAP and SIMSWAPMON write nothing: the target stays byte-identical,
// the source changes only where the guest writes.
TEST_F(HerculesSwap, SimSwapAndSimSwapMonWriteNothing) {
  SetUpSystem(/*delay_us=*/200);
  if (HasFatalFailure()) return;
  const std::string target_before = pas::testing::ReadFile(tgt_);
  const std::string source_rest = TracksOutsideGuest(src_, sys_->params);
  ProcessResult sim = RunFunction("SIMSWAP", "B887");
  EXPECT_EQ(sim.exit_code, 0) << sim.out << sim.err;
  EXPECT_TRUE(Contains(sim.out, "SYSA")) << sim.out;
  ProcessResult mon = RunFunction("SIMSWAPMON", "B887");
  EXPECT_EQ(mon.exit_code, 0) << mon.out << mon.err;
  ExpectRising();
  std::string image;
  std::string why = SettleUnit(sys_->config, "0A80", &image);
  ASSERT_EQ(why, "") << why;
  EXPECT_EQ(image, src_);
  const hercules::GuestCounters c = StopGuest(*sys_);
  why = CheckAfterStop(src_, sys_->params, c);
  EXPECT_EQ(why, "") << why;
  Quit(*sys_);
  EXPECT_TRUE(pas::testing::ReadFile(tgt_) == target_before) << "SIMSWAP/SIMSWAPMON changed the target";
  {
    auto t = ckd::CkdImage::Open(tgt_, false);
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    EXPECT_TRUE(ckd::IsFreshlyFormatted(*t)) << "SIMSWAP/SIMSWAPMON removed the target's marker";
  }
  EXPECT_TRUE(TracksOutsideGuest(src_, sys_->params) == source_rest) << "the source changed outside the guest's tracks";
}

// The job SIGKILLed in each phase before the commit: the guest keeps
// running on the source, the unit is left without intercept or quiesce;
// killed after the commit: the unit completes the swap. Then a second SWAP
// succeeds and every write the guest saw complete is on its target.
TEST_F(HerculesSwap, JobKilledInEachPhaseThenASwapSucceeds) {
  SetUpSystem(/*delay_us=*/200);
  if (HasFatalFailure()) return;
  const std::string source_rest = TracksOutsideGuest(src_, sys_->params);
  for (const char* point : {"job.announce", "job.join", "job.copy", "job.recopy", "job.quiesce", "job.final_copy",
                            "job.before_commit"}) {
    SCOPED_TRACE(point);
    ProcessResult job = RunFunction("SWAP", "B887", {std::string("PAS_FAULT_POINT=") + point});
    EXPECT_EQ(job.exit_code, 128 + SIGKILL) << job.out << job.err;
    std::string image;
    std::string why = SettleUnit(sys_->config, "0A80", &image);
    ASSERT_EQ(why, "") << why << "\n" << job.out;
    EXPECT_EQ(image, src_);
    ExpectRising(300);
    EXPECT_TRUE(TracksOutsideGuest(src_, sys_->params) == source_rest) << "the source changed outside the guest's tracks";
  }
  {
    ProcessResult job = RunFunction("SWAP", "B887", {"PAS_FAULT_POINT=job.after_commit"});
    EXPECT_EQ(job.exit_code, 128 + SIGKILL) << job.out << job.err;
    // The jobs killed from job.copy on had removed B887's freshly-formatted
    // marker before writing to it: this one formats every empty track.
    EXPECT_TRUE(Contains(job.out, ", 0 ALREADY EMPTY")) << job.out;
    std::string image;
    std::string why = SettleUnit(sys_->config, "0A80", &image);
    ASSERT_EQ(why, "") << why << "\n" << job.out;
    EXPECT_EQ(image, tgt_) << "a swap killed after its commit must complete";
    ExpectRising(300);
  }
  ProcessResult again = RunFunction("SWAP", "D887");
  ASSERT_EQ(again.exit_code, 0) << again.out << again.err << Log(*sys_);
  std::string image;
  std::string why = SettleUnit(sys_->config, "0A80", &image);
  ASSERT_EQ(why, "") << why;
  EXPECT_EQ(image, fresh_);
  ExpectRising(300);
  const hercules::GuestCounters c = StopGuest(*sys_);
  why = CheckAfterStop(fresh_, sys_->params, c);
  EXPECT_EQ(why, "") << why;
  Quit(*sys_);
}

// Hercules SIGKILLed while the job is stopped inside the swap (after the
// copy pass, a point every swap reaches whether or not the guest wrote
// during it; under the quiesce after the final copy): the job fails the
// volume cleanly or completes, never a split; the image the unit uses
// holds every write the guest was seen to complete, as one point in time;
// a second SWAP succeeds.
TEST_F(HerculesSwap, HerculesKilledMidSwap) {
  const std::string missing = MissingTools();
  ASSERT_EQ(missing, "") << missing;
  for (const char* point : {"job.copy:1:stop", "job.final_copy:1:stop"}) {
    SCOPED_TRACE(point);
    const std::string tag = point[4] == 'c' ? "c" : "f";
    HerculesSystem& h = NewSystem(std::string("SYSK") + (point[4] == 'c' ? "C" : "F"));
    const std::string src = GuestVolume("vm1887" + tag + ".ckd", "VM1887", 150, &h.params.first_track);
    const std::string tgt = MakeEmptyVolume("b887" + tag + ".ckd", "NEW887", 15);
    const std::string fresh = MakeEmptyVolume("d887" + tag + ".ckd", "NEW888", 15);
    h.params.delay_us = 100;
    h.config = HerculesConfig(h.name, "0A0003", h.port, src, {{"B887", tgt}, {"D887", fresh}});
    std::string why = StartHercules(h);
    ASSERT_EQ(why, "") << why;
    std::string deck = dir_ / ("swap-" + tag + ".deck");
    WriteFile(deck, "  SWAP TYPE=FULL,NONRESPONDING=FAIL\n  MOUNT VOL=VM1887,SWAPUNIT=B887\n");
    auto job = Start({"run", deck, "--config", h.config}, std::string("job-") + h.name,
                     {std::string("PAS_FAULT_POINT=") + point, "PAS_JOIN_TIMEOUT=10"});
    ASSERT_TRUE(WaitStopped(job->pid())) << "the job did not reach " << point << "\n" << job->Stdout() << job->Stderr();
    const hercules::GuestCounters seen = Counters(h);
    Kill(h);
    job->Kill(SIGCONT);
    const int rc = job->Wait(60);
    // Completed (0, or 4 with the guest paced) or failed cleanly (8).
    EXPECT_TRUE(rc == 0 || rc == 4 || rc == 8) << "job rc " << rc << "\n" << job->Stdout() << job->Stderr();
    std::string image;
    why = SettleUnit(h.config, "0A80", &image);
    ASSERT_EQ(why, "") << why;
    EXPECT_TRUE(image == src || image == tgt) << image;
    EXPECT_EQ(image == tgt, rc != 8) << "the unit's image and the job's outcome disagree\n" << job->Stdout();
    auto seqs = hercules::ReadGuestSequences(image, h.params, seen.run_id);
    ASSERT_TRUE(seqs.ok()) << seqs.status().ToString();
    auto k = hercules::CheckPointInTime(*seqs);
    ASSERT_TRUE(k.ok()) << k.status().ToString();
    EXPECT_GE(*k, seen.writes) << "writes the guest saw complete are missing on " << image;
    // A second SWAP of the volume succeeds.
    const std::string again_target = image == tgt ? "D887" : "B887";
    ProcessResult again = RunDeck(h.config, "  SWAP TYPE=FULL,NONRESPONDING=FAIL\n  MOUNT VOL=VM1887,SWAPUNIT=" +
                                                again_target + "\n");
    EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
    std::string after;
    why = SettleUnit(h.config, "0A80", &after);
    EXPECT_EQ(why, "") << why;
    EXPECT_EQ(after, image == tgt ? fresh : tgt);
  }
}

// One Hercules system (SYSA, under pas exec, with a monitor) and one
// `pas workload` system (SYSB, which runs the job) share the volume: both
// move to the target; the guest's writes and the workload's journal are
// all on it.
TEST_F(HerculesSwap, HerculesAndWorkloadSystemsWithAMonitor) {
  const std::string missing = MissingTools();
  ASSERT_EQ(missing, "") << missing;
  sys_ = &NewSystem("SYSA");
  src_ = MakeSourceVolume("vm1887.ckd", "VM1887", 15, 60);
  tgt_ = MakeEmptyVolume("b887.ckd", "NEW887", 15);
  {
    auto img = ckd::CkdImage::Open(src_, true);
    ASSERT_TRUE(img.ok());
    ASSERT_OK(ckd::AddDataSet(*img, ckd::DataSetSpec{.name = "PAS.GUEST", .tracks = 45, .lrecl = 80, .blksize = 3120,
                                                     .records = 0, .fill = nullptr}));
    auto vtoc = ckd::ReadVtoc(*img);
    ASSERT_TRUE(vtoc.ok());
    for (const auto& ds : vtoc->datasets)
      if (ds.name == "PAS.GUEST") sys_->params.first_track = ckd::RelativeTrack(img->geometry(), ds.extents.at(0).begin);
    ASSERT_GT(sys_->params.first_track, 0u);
  }
  sys_->params.tracks = 45;
  sys_->params.delay_us = 100;
  sys_->config = HerculesConfig("SYSA", "0A0001", sys_->port, src_, {{"B887", tgt_}});
  const std::string cfg_b = Config("SYSB", "0B0002", {{"2887", src_}, {"C887", tgt_, true}});
  std::string why = StartHercules(*sys_);
  ASSERT_EQ(why, "") << why;
  auto monitor = Monitor(sys_->config, "B887");
  auto workload = Workload(cfg_b, "2887", "jb", 0, 1, 4);
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  ProcessResult job = RunDeck(cfg_b, "  SWAP TYPE=FULL,NONRESPONDING=FAIL\n  MOUNT VOL=VM1887,SWAPUNIT=C887\n", {}, 120);
  EXPECT_EQ(job.exit_code, 0) << job.out << job.err << monitor->Stdout() << monitor->Stderr() << Log(*sys_);
  EXPECT_TRUE(Contains(job.out, "SYSA")) << "SYSA did not join\n" << job.out;
  EXPECT_EQ(workload->Wait(60), 0) << workload->Stdout() << workload->Stderr();
  ExpectRising(300);
  std::string image;
  why = SettleUnit(sys_->config, "0A80", &image);
  ASSERT_EQ(why, "") << why;
  EXPECT_EQ(image, tgt_);
  why = SettleUnit(cfg_b, "2887", &image);
  ASSERT_EQ(why, "") << why;
  EXPECT_EQ(image, tgt_);
  const hercules::GuestCounters c = StopGuest(*sys_);
  why = CheckAfterStop(tgt_, sys_->params, c);
  EXPECT_EQ(why, "") << why;
  ProcessResult v = Verify(tgt_, {"jb"});
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
  Quit(*sys_);
  monitor->Kill(SIGTERM);
  monitor->Wait(20);
}

}  // namespace
}  // namespace pas::swaptest
