// Live migration of a compressed (CCKD) volume under a real, unmodified
// Hercules started through `pas exec` (doc/cckd-live.md): the intercept
// marks the tracks whose L2 entries Hercules writes, and at the swap it
// makes Hercules reopen the unit (devinit) after Hercules flushed and closed
// the source through it, holding the open of the new image until the
// decision. The guest writes as fast as it can; afterwards every write it
// saw complete is on the image the unit uses, which `cckdcdsk -3` accepts.
#include <gtest/gtest.h>

#include <signal.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "ckd/image.h"
#include "system/hercules_fixture.h"

namespace pas::swaptest {
namespace {

class HerculesCckdSwap : public HerculesFixture {
 protected:
  static std::string Cdsk(const std::string& image) {
    ProcessResult r = pas::testing::Run({"cckdcdsk", "-3", "-ro", image}, "", {}, 60);
    return r.exit_code == 0 ? r.out + r.err : "rc " + std::to_string(r.exit_code) + ": " + r.out + r.err;
  }

  // A compressed guest volume made by Hercules' dasdcopy -z.
  std::string CompressedGuestVolume(const std::string& name, uint32_t tracks, uint32_t* first) {
    const std::string plain = GuestVolume(name + ".plain", "VM1887", tracks, first);
    const std::string path = dir_ / name;
    ProcessResult r = pas::testing::RunDasdcopy({"-z", plain, path});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    std::filesystem::remove(plain);
    return path;
  }

  // An empty compressed target as `dasdinit -z` makes it.
  std::string CompressedTarget(const std::string& name, const std::string& volser, uint32_t cylinders = 15) {
    const std::string path = dir_ / name;
    ProcessResult r =
        pas::testing::Run({"dasdinit", "-z", path, "3390-1", volser, std::to_string(cylinders)}, "", {}, 60);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    return path;
  }

  // SYSA: Hercules under pas exec, the guest writing unit 0A80 on `source`;
  // targets B887 and D887 offline.
  void SetUpSystem(const std::string& source, uint32_t first, uint32_t tracks, uint32_t delay_us,
                   const std::string& target, const std::string& fresh, const std::string& name = "SYSA") {
    const std::string missing = MissingTools();
    ASSERT_EQ(missing, "") << missing;
    sys_ = &NewSystem(name);
    src_ = source;
    tgt_ = target;
    fresh_ = fresh;
    sys_->params.first_track = first;
    sys_->params.tracks = tracks;
    sys_->params.delay_us = delay_us;
    sys_->config = HerculesConfig(name, "0A0001", sys_->port, src_, {{"B887", tgt_}, {"D887", fresh_}});
    // A device option after the file: the reopen passes it on to devinit.
    std::string text = pas::testing::ReadFile(sys_->config);
    const std::string line = "0A80 3390 " + src_ + "\n";
    ASSERT_NE(text.find(line), std::string::npos) << text;
    text.replace(text.find(line), line.size(), "0A80 3390 " + src_ + " cu=3990\n");
    WriteFile(sys_->config, text);
    std::string why = StartHercules(*sys_);
    ASSERT_EQ(why, "") << why;
  }

  ProcessResult RunFunction(const std::string& function, const std::string& target,
                            const std::vector<std::string>& env = {}) {
    return RunDeck(sys_->config,
                   "  " + function + " TYPE=FULL,NONRESPONDING=FAIL\n  MOUNT VOL=VM1887,SWAPUNIT=" + target + "\n",
                   env, 120);
  }

  std::string SettleUnit(const std::string& cfg, const std::string& unit, std::string* image, int seconds = 20) {
    std::string why;
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    do {
      UnitView v = View(cfg, unit);
      if (!v.found) why = "unit " + unit + " is not displayed";
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

  void ExpectRising(uint32_t more = 500) {
    hercules::GuestCounters c = Counters(*sys_);
    EXPECT_TRUE(WaitForWrites(*sys_, c.writes, more)) << "the guest stopped writing at " << c.writes << "\n"
                                                      << Log(*sys_);
    EXPECT_EQ(Counters(*sys_).errors, 0u) << Log(*sys_);
  }

  // Stops the guest, ends Hercules (which flushes its changed tracks) and
  // returns the guest's last counters.
  hercules::GuestCounters StopAndQuit() {
    const hercules::GuestCounters c = StopGuest(*sys_);
    EXPECT_EQ(c.errors, 0u);
    Quit(*sys_);
    return c;
  }

  // The unit's device statement in the configuration file.
  std::string UnitLine(const std::string& unit) {
    const std::string text = pas::testing::ReadFile(sys_->config);
    size_t p = text.find("\n" + unit + " ");
    if (p == std::string::npos) return "";
    return text.substr(p + 1, text.find('\n', p + 1) - p - 1);
  }

  void Report(const std::string& what, const ProcessResult& job, const hercules::GuestCounters& c) {
    std::printf("%s: job rc %d, passes %s, job's longest pause %s, guest's longest write %.3f ms (at write %u of %u)\n",
                what.c_str(), job.exit_code, Stat(job.out, "PASSES").c_str(),
                Stat(job.out, "LONGEST I/O PAUSE (MS)").c_str(), c.longest_us / 1000.0, c.longest_at, c.writes);
    RecordProperty(what + "_guest_longest_us", std::to_string(c.longest_us));
  }

  std::string src_, tgt_, fresh_;
  HerculesSystem* sys_ = nullptr;
};

// CCKD to CCKD and CCKD to CKD while the guest writes as fast as it can.
TEST_F(HerculesCckdSwap, SwapCckdToCckdAndToCkdWhileTheGuestWrites) {
  uint32_t first = 0;
  const std::string src = CompressedGuestVolume("vm1887.cckd", 150, &first);
  const std::string tgt = CompressedTarget("b887.cckd", "NEW887");
  const std::string fresh = MakeEmptyVolume("d887.ckd", "NEW888", 15);
  SetUpSystem(src, first, 150, /*delay_us=*/0, tgt, fresh);
  if (HasFatalFailure()) return;

  // CCKD -> CCKD.
  ASSERT_OK(sys_->console.ResetLongest());
  hercules::GuestCounters before = Counters(*sys_);
  ProcessResult job = RunFunction("SWAP", "B887");
  hercules::GuestCounters after = Counters(*sys_);
  ASSERT_EQ(job.exit_code, 0) << job.out << job.err << Log(*sys_);
  EXPECT_TRUE(Contains(job.out, "PAS241I")) << job.out;
  EXPECT_GT(after.writes, before.writes) << "the guest wrote nothing during the swap";
  ExpectRising();
  Report("cckd_to_cckd", job, after);
  std::string image;
  std::string why = SettleUnit(sys_->config, "0A80", &image);
  ASSERT_EQ(why, "") << why;
  EXPECT_EQ(image, tgt);
  EXPECT_TRUE(Contains(UnitLine("0A80"), tgt)) << pas::testing::ReadFile(sys_->config);
  // Hercules itself now has the target open (devinit named it).
  auto devlist = sys_->console.Command("devlist 0A80");
  ASSERT_TRUE(devlist.ok());
  EXPECT_TRUE(Contains(*devlist, "b887.cckd")) << *devlist;

  // CCKD -> CKD (the relabelled old source is now B887's: swap to D887).
  ASSERT_OK(sys_->console.ResetLongest());
  before = Counters(*sys_);
  job = RunFunction("SWAP", "D887");
  after = Counters(*sys_);
  ASSERT_EQ(job.exit_code, 0) << job.out << job.err << Log(*sys_);
  EXPECT_GT(after.writes, before.writes);
  ExpectRising();
  Report("cckd_to_ckd", job, after);
  why = SettleUnit(sys_->config, "0A80", &image);
  ASSERT_EQ(why, "") << why;
  EXPECT_EQ(image, fresh);
  EXPECT_TRUE(Contains(UnitLine("0A80"), fresh)) << pas::testing::ReadFile(sys_->config);

  const hercules::GuestCounters c = StopAndQuit();
  why = CheckAfterStop(fresh, sys_->params, c);
  EXPECT_EQ(why, "") << why;
  EXPECT_EQ(Volser(fresh), "VM1887");
  EXPECT_TRUE(Contains(Dasdls(fresh), "PAS.GUEST")) << Dasdls(fresh);
  // The intermediate compressed volume and the relabelled source are sound.
  EXPECT_EQ(Cdsk(tgt), "");
  EXPECT_EQ(Cdsk(src), "");
  EXPECT_EQ(Volser(src), "PAS887");
  // Nothing went to the old sources after they were left: each holds older
  // writes than the volume's newest.
  for (const std::string& old : {src, tgt}) {
    auto seqs = hercules::ReadGuestSequences(old, sys_->params, c.run_id);
    ASSERT_TRUE(seqs.ok()) << seqs.status().ToString();
    uint32_t newest = 0;
    for (uint32_t s : *seqs) newest = std::max(newest, s);
    EXPECT_LT(newest, c.writes) << old;
  }
}


// The marking alone: with the intercept installed, Hercules' writes to the
// compressed file mark exactly the tracks whose content changed (the
// guest's), although Hercules writes them as new images in free space, its
// L2 entries, its whole L1 table, free space and headers.
TEST_F(HerculesCckdSwap, HerculesWritesToACompressedVolumeMarkExactlyTheirTracks) {
  uint32_t first = 0;
  const std::string src = CompressedGuestVolume("vm1887.cckd", 30, &first);
  const std::string tgt = CompressedTarget("b887.cckd", "NEW887");
  const std::string fresh = MakeEmptyVolume("d887.ckd", "NEW888", 15);
  SetUpSystem(src, first, 30, /*delay_us=*/50, tgt, fresh);
  if (HasFatalFailure()) return;
  ProcessResult r = Pas({"intercept", "install", "0A80", "--config", sys_->config});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  ExpectRising(200);
  // Hercules writes its changed tracks back when it closes the file.
  const hercules::GuestCounters c = StopAndQuit();
  r = Pas({"intercept", "harvest", "0A80", "--config", sys_->config});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  std::string expect;
  for (uint32_t t = first; t < first + 30; ++t) expect += (expect.empty() ? "" : ",") + std::to_string(t);
  EXPECT_TRUE(Contains(r.out, "HARVESTED: " + expect + "\n") || Contains(r.out, "HARVESTED: " + expect + " "))
      << r.out << "\nexpected " << expect;
  std::string why = CheckAfterStop(src, sys_->params, c);
  EXPECT_EQ(why, "") << why;
  EXPECT_EQ(Cdsk(src), "");
  (void)Pas({"intercept", "remove", "0A80", "--config", sys_->config});
}

// SWAPDUMP of a compressed volume: Hercules flushes and reopens the source;
// the target is the volume after exactly K guest writes; the guest stays on
// the source and loses nothing.
TEST_F(HerculesCckdSwap, SwapDumpOfACompressedVolumeIsAPointInTimeCopy) {
  uint32_t first = 0;
  const std::string src = CompressedGuestVolume("vm1887.cckd", 150, &first);
  const std::string tgt = CompressedTarget("b887.cckd", "NEW887");
  const std::string fresh = MakeEmptyVolume("d887.ckd", "NEW888", 15);
  SetUpSystem(src, first, 150, /*delay_us=*/20, tgt, fresh);
  if (HasFatalFailure()) return;
  ProcessResult job = RunFunction("SWAPDUMP", "B887");
  ASSERT_EQ(job.exit_code, 0) << job.out << job.err << Log(*sys_);
  ExpectRising();
  std::string image;
  std::string why = SettleUnit(sys_->config, "0A80", &image);
  ASSERT_EQ(why, "") << why;
  EXPECT_EQ(image, src);
  const hercules::GuestCounters running = Counters(*sys_);
  auto seqs = hercules::ReadGuestSequences(tgt, sys_->params, running.run_id);
  ASSERT_TRUE(seqs.ok()) << seqs.status().ToString();
  auto k = hercules::CheckPointInTime(*seqs);
  ASSERT_TRUE(k.ok()) << k.status().ToString();
  EXPECT_GT(*k, 0u);
  EXPECT_LT(*k, running.writes);
  const hercules::GuestCounters c = StopAndQuit();
  why = CheckAfterStop(src, sys_->params, c);
  EXPECT_EQ(why, "") << why;
  EXPECT_EQ(Volser(src), "VM1887");
  EXPECT_EQ(Cdsk(src), "");
  EXPECT_EQ(Cdsk(tgt), "");
  EXPECT_TRUE(Contains(Dasdls(tgt), "PAS.GUEST")) << Dasdls(tgt);
}

// An uncompressed source under Hercules to a compressed target: the
// descriptor cannot move in place onto a CCKD file, Hercules reopens.
TEST_F(HerculesCckdSwap, SwapCkdToCckdUnderHerculesReopens) {
  uint32_t first = 0;
  const std::string src = GuestVolume("vm1887.ckd", "VM1887", 150, &first);
  const std::string tgt = CompressedTarget("b887.cckd", "NEW887");
  const std::string fresh = MakeEmptyVolume("d887.ckd", "NEW888", 15);
  SetUpSystem(src, first, 150, /*delay_us=*/0, tgt, fresh);
  if (HasFatalFailure()) return;
  const hercules::GuestCounters before = Counters(*sys_);
  ProcessResult job = RunFunction("SWAP", "B887");
  const hercules::GuestCounters after = Counters(*sys_);
  // Compressing the recopied tracks is slower than this guest writes: the
  // job may pace it (PAS238I), and still ends with condition code 0.
  ASSERT_EQ(job.exit_code, 0) << job.out << job.err << Log(*sys_);
  EXPECT_TRUE(Contains(job.out, "PAS241I")) << job.out;
  EXPECT_GT(after.writes, before.writes);
  ExpectRising();
  Report("ckd_to_cckd", job, after);
  std::string image;
  std::string why = SettleUnit(sys_->config, "0A80", &image);
  ASSERT_EQ(why, "") << why;
  EXPECT_EQ(image, tgt);
  // The guest's own check, with Hercules still running on the compressed
  // target (pas guest verify makes it write its cache back first).
  ProcessResult v = Pas({"guest", "verify", tgt, "--port", std::to_string(sys_->port)});
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err << Log(*sys_);
  EXPECT_TRUE(Contains(v.out, "PAS685I")) << v.out;
  const hercules::GuestCounters c = StopAndQuit();
  why = CheckAfterStop(tgt, sys_->params, c);
  EXPECT_EQ(why, "") << why;
  EXPECT_EQ(Cdsk(tgt), "");
  EXPECT_EQ(Volser(tgt), "VM1887");
  EXPECT_EQ(Volser(src), "PAS887");
}

// The job SIGKILLed in each phase before the commit (among them while
// Hercules holds its reopen, after the quiesce): the guest keeps running on
// the source; killed after the commit: the unit completes the swap onto the
// target. Then a second SWAP succeeds and loses nothing.
TEST_F(HerculesCckdSwap, JobKilledInEachPhaseThenASwapSucceeds) {
  uint32_t first = 0;
  const std::string src = CompressedGuestVolume("vm1887.cckd", 150, &first);
  const std::string tgt = CompressedTarget("b887.cckd", "NEW887");
  const std::string fresh = MakeEmptyVolume("d887.ckd", "NEW888", 15);
  SetUpSystem(src, first, 150, /*delay_us=*/100, tgt, fresh);
  if (HasFatalFailure()) return;
  for (const char* point : {"job.join", "job.copy", "job.quiesce", "job.final_copy", "job.before_commit"}) {
    SCOPED_TRACE(point);
    ProcessResult job = RunFunction("SWAP", "B887", {std::string("PAS_FAULT_POINT=") + point});
    EXPECT_EQ(job.exit_code, 128 + SIGKILL) << job.out << job.err;
    std::string image;
    std::string why = SettleUnit(sys_->config, "0A80", &image);
    ASSERT_EQ(why, "") << why << "\n" << job.out << Log(*sys_);
    EXPECT_EQ(image, src);
    ExpectRising(300);
    // Hercules names the image it uses (after a reopen that went back to
    // the source, the intercept made it reopen the source by its name).
    auto devlist = sys_->console.Command("devlist 0A80");
    ASSERT_TRUE(devlist.ok());
    EXPECT_TRUE(Contains(*devlist, "vm1887.cckd")) << *devlist;
  }
  {
    ProcessResult job = RunFunction("SWAP", "B887", {"PAS_FAULT_POINT=job.after_commit"});
    EXPECT_EQ(job.exit_code, 128 + SIGKILL) << job.out << job.err;
    std::string image;
    std::string why = SettleUnit(sys_->config, "0A80", &image);
    ASSERT_EQ(why, "") << why << "\n" << job.out;
    EXPECT_EQ(image, tgt) << "a swap killed after its commit must complete";
    ExpectRising(300);
  }
  ProcessResult again = RunFunction("SWAP", "D887");
  ASSERT_EQ(again.exit_code, 0) << again.out << again.err << Log(*sys_);
  std::string image;
  std::string why = SettleUnit(sys_->config, "0A80", &image);
  ASSERT_EQ(why, "") << why;
  EXPECT_EQ(image, fresh);
  ExpectRising(300);
  const hercules::GuestCounters c = StopAndQuit();
  why = CheckAfterStop(fresh, sys_->params, c);
  EXPECT_EQ(why, "") << why;
  EXPECT_EQ(Cdsk(tgt), "");
  EXPECT_EQ(Cdsk(src), "");
}

// Hercules SIGKILLed while the job is stopped after its copy pass, and while
// it is stopped after the final copy (Hercules then holds its reopen): the
// job fails the volume cleanly or completes, never a split; the image the
// unit names holds every write the guest saw complete before Hercules last
// flushed (the kill loses what Hercules had not written back, on any image).
TEST_F(HerculesCckdSwap, HerculesKilledMidSwap) {
  for (const char* point : {"job.copy:1:stop", "job.final_copy:1:stop"}) {
    SCOPED_TRACE(point);
    const bool final_copy = point[4] == 'f';
    const std::string tag = final_copy ? "f" : "r";
    uint32_t first = 0;
    const std::string src = CompressedGuestVolume("vm1887" + tag + ".cckd", 150, &first);
    const std::string tgt = CompressedTarget("b887" + tag + ".cckd", "NEW887");
    const std::string fresh = MakeEmptyVolume("d887" + tag + ".ckd", "NEW888", 15);
    SetUpSystem(src, first, 150, /*delay_us=*/100, tgt, fresh, final_copy ? "SYSKF" : "SYSKR");
    if (HasFatalFailure()) return;
    HerculesSystem& h = *sys_;
    std::string deck = dir_ / ("swap-" + tag + ".deck");
    WriteFile(deck, "  SWAP TYPE=FULL,NONRESPONDING=FAIL\n  MOUNT VOL=VM1887,SWAPUNIT=B887\n");
    auto job = Start({"run", deck, "--config", h.config}, "job-" + h.name,
                     {std::string("PAS_FAULT_POINT=") + point, "PAS_JOIN_TIMEOUT=10"});
    ASSERT_TRUE(WaitStopped(job->pid())) << "the job did not reach " << point << "\n" << job->Stdout() << job->Stderr();
    const hercules::GuestCounters seen = Counters(h);
    Kill(h);
    job->Kill(SIGCONT);
    const int rc = job->Wait(60);
    EXPECT_TRUE(rc == 0 || rc == 8) << "job rc " << rc << "\n" << job->Stdout() << job->Stderr();
    std::string image;
    std::string why = SettleUnit(h.config, "0A80", &image);
    ASSERT_EQ(why, "") << why;
    EXPECT_TRUE(image == src || image == tgt) << image;
    EXPECT_EQ(image == tgt, rc == 0) << "the unit's image and the job's outcome disagree\n" << job->Stdout();
    auto seqs = hercules::ReadGuestSequences(image, h.params, seen.run_id);
    EXPECT_TRUE(seqs.ok()) << seqs.status().ToString();  // no torn or misplaced record
    if (final_copy) {
      // Hercules had flushed and closed the source before the final copy
      // and its guest waited on the held reopen: the swap completes and
      // every write the guest saw complete is on the target.
      EXPECT_EQ(rc, 0) << job->Stdout() << job->Stderr();
      why = CheckAfterStop(tgt, h.params, seen);
      EXPECT_EQ(why, "") << why;
    }
    EXPECT_EQ(Cdsk(image), "");
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


// The reopen asked by a monitor: SYSA (Hercules on the compressed volume,
// with `pas monitor`) takes part in a SWAP run from SYSB, which has the
// volume defined and no process using it. SYSA's Hercules follows to the
// target; nothing the guest wrote is lost.
TEST_F(HerculesCckdSwap, AMonitorMakesHerculesReopenForAJobOfAnotherSystem) {
  uint32_t first = 0;
  const std::string src = CompressedGuestVolume("vm1887.cckd", 60, &first);
  const std::string tgt = CompressedTarget("b887.cckd", "NEW887");
  const std::string fresh = MakeEmptyVolume("d887.ckd", "NEW888", 15);
  SetUpSystem(src, first, 60, /*delay_us=*/20, tgt, fresh);
  if (HasFatalFailure()) return;
  const std::string cfg_b = Config("SYSB", "0B0002", {{"2887", src}, {"C887", tgt, true}});
  auto monitor = Monitor(sys_->config, "B887");
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const hercules::GuestCounters before = Counters(*sys_);
  ProcessResult job = RunDeck(cfg_b, "  SWAP TYPE=FULL,NONRESPONDING=FAIL\n  MOUNT VOL=VM1887,SWAPUNIT=C887\n", {}, 120);
  EXPECT_EQ(job.exit_code, 0) << job.out << job.err << monitor->Stdout() << monitor->Stderr() << Log(*sys_);
  EXPECT_TRUE(Contains(job.out, "SYSA")) << "SYSA did not join\n" << job.out;
  EXPECT_GT(Counters(*sys_).writes, before.writes);
  ExpectRising(300);
  std::string image;
  std::string why = SettleUnit(sys_->config, "0A80", &image);
  ASSERT_EQ(why, "") << why;
  EXPECT_EQ(image, tgt);
  auto devlist = sys_->console.Command("devlist 0A80");
  ASSERT_TRUE(devlist.ok());
  EXPECT_TRUE(Contains(*devlist, "b887.cckd")) << *devlist;
  const hercules::GuestCounters c = StopAndQuit();
  why = CheckAfterStop(tgt, sys_->params, c);
  EXPECT_EQ(why, "") << why;
  EXPECT_EQ(Cdsk(tgt), "");
  monitor->Kill(SIGTERM);
  monitor->Wait(20);
}

}  // namespace
}  // namespace pas::swaptest
