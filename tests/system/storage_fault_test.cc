// Failing storage under a live swap (doc/reliability.md): errors injected
// into the job's copy engine with PAS_IO_FAULTS (doc/copy-engine.md) and
// real conditions made while the job is stopped at a fault point
// (PAS_FAULT_POINT=name:stop): a source read error, a target write error,
// ENOSPC, torn and lost target writes, the target truncated or replaced,
// the coordination area corrupted. Each case asserts its message and
// condition code, every system on one device, and the workload verify.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>

#include "coord/area.h"
#include "system/kill_scenario.h"

namespace pas::swaptest {
namespace {

class StorageFaultTest : public KillScenario {
 protected:
  void SetUp() override { Prepare(); }

  // Starts the monitor and both workloads, then the job with `env`.
  std::unique_ptr<Child> Begin(const std::vector<std::string>& env) {
    mon_ = Start({"monitor", "--unit", "C887,E887", "--config", cfg_b_}, "monitor", {});
    wa_ = StartWorkload(true, "", 3);
    wb_ = StartWorkload(false, "", 3);
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    std::string deck = dir_ / "job.deck";
    WriteFile(deck, Deck("B887"));
    std::vector<std::string> e = {"PAS_JOIN_TIMEOUT=10"};
    e.insert(e.end(), env.begin(), env.end());
    return Start({"run", deck, "--config", cfg_a_}, "job", e);
  }

  // Waits for the job and the workloads; returns the job's output.
  std::string Finish(std::unique_ptr<Child>& job, int* rc) {
    *rc = job->Wait(90);
    EXPECT_EQ(wa_->Wait(60), 0) << wa_->Stderr();
    EXPECT_EQ(wb_->Wait(60), 0) << wb_->Stderr();
    return job->Stdout() + job->Stderr();
  }

  // Every system on `image`, nothing left installed, verify passing.
  void ExpectSettledOn(const std::string& image) {
    std::string on;
    std::string why = Settle(&on);
    EXPECT_EQ(why, "");
    EXPECT_EQ(on, image);
    ProcessResult v = Verify(image, {"ja", "jb"});
    EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
  }

  // A failed swap: cc 8 with PAS240E naming `reason` and PAS243E, every
  // system on the unchanged source, the target marked unusable by its
  // area's FAILED state and the decision SOURCE.
  void ExpectFailedCleanly(int rc, const std::string& out, const std::string& reason) {
    EXPECT_EQ(rc, 8) << out;
    EXPECT_TRUE(Contains(out, "PAS240E")) << out;
    EXPECT_TRUE(Contains(out, reason)) << out;
    EXPECT_TRUE(Contains(out, "PAS243E")) << out;
    EXPECT_FALSE(Contains(out, "PAS236I")) << out;  // never committed
    ExpectSettledOn(src_);
    EXPECT_TRUE(NonWorkloadTracks(src_) == before_) << "the source changed outside PAS.WORKLOAD";
    auto area = coord::CoordinationArea::Open(tgt_, coord::CoordinationArea::Mode::kReadOnly);
    ASSERT_TRUE(area.ok()) << area.status().ToString();
    auto h = area->ReadHeader();
    ASSERT_TRUE(h.ok()) << h.status().ToString();
    EXPECT_EQ(h->state, coord::JobState::kFailed);
  }

  // After a failure the same target can be used again.
  void ExpectRetrySwaps() {
    auto again = StartJob("B887", "", "job2");
    int rc = again->Wait(90);
    EXPECT_EQ(rc, 0) << again->Stdout() << again->Stderr();
    ExpectSettledOn(tgt_);
  }

  // Tracks 1.. of both images outside PAS.WORKLOAD (track 0: relabel).
  void ExpectTargetEqualsSource() {
    std::string s = NonWorkloadTracks(src_), t = NonWorkloadTracks(tgt_);
    ASSERT_EQ(s.size(), t.size());
    size_t slot = s.size() / 1;  // compare past track 0's slot
    auto img = ckd::CkdImage::Open(src_, false);
    ASSERT_TRUE(img.ok());
    slot = img->slot_size();
    EXPECT_TRUE(s.compare(slot, std::string::npos, t, slot, std::string::npos) == 0)
        << "the target differs from the source";
  }
};

TEST_F(StorageFaultTest, SourceReadErrorFailsTheVolumeAfterRetries) {
  auto job = Begin({"PAS_IO_FAULTS=read_error@2:EIO:sticky"});
  int rc = 0;
  std::string out = Finish(job, &rc);
  ExpectFailedCleanly(rc, out, "failed after 4 attempts");
  ExpectRetrySwaps();
}

TEST_F(StorageFaultTest, TargetWriteErrorFailsTheVolume) {
  auto job = Begin({"PAS_IO_FAULTS=write_error@2:EIO"});
  int rc = 0;
  std::string out = Finish(job, &rc);
  ExpectFailedCleanly(rc, out, "Input/output error");
  ExpectRetrySwaps();
}

TEST_F(StorageFaultTest, TargetFullFailsTheVolume) {
  auto job = Begin({"PAS_IO_FAULTS=write_enospc@2M"});
  int rc = 0;
  std::string out = Finish(job, &rc);
  ExpectFailedCleanly(rc, out, "No space left on device");
  ExpectRetrySwaps();
}

TEST_F(StorageFaultTest, TornTargetWriteIsDetectedAndRecopied) {
  auto job = Begin({"PAS_IO_FAULTS=torn_write@1"});
  int rc = 0;
  std::string out = Finish(job, &rc);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_TRUE(Contains(out, "PAS241I")) << out;
  ExpectSettledOn(tgt_);
  ExpectTargetEqualsSource();
}

TEST_F(StorageFaultTest, LostTargetWriteIsDetectedAndRecopied) {
  auto job = Begin({"PAS_IO_FAULTS=lost_write@2"});
  int rc = 0;
  std::string out = Finish(job, &rc);
  EXPECT_EQ(rc, 0) << out;
  ExpectSettledOn(tgt_);
  ExpectTargetEqualsSource();
}

TEST_F(StorageFaultTest, TargetTruncatedBeforeCommitIsDetected) {
  auto job = Begin({"PAS_FAULT_POINT=job.before_commit:stop"});
  ASSERT_TRUE(WaitStopped(job->pid())) << job->Stdout();
  std::filesystem::resize_file(tgt_, std::filesystem::file_size(tgt_) / 2);
  job->Kill(SIGCONT);
  int rc = 0;
  std::string out = Finish(job, &rc);
  ExpectFailedCleanly(rc, out, "FAILED: THE TARGET IMAGE");
}

TEST_F(StorageFaultTest, TargetReplacedBeforeCommitIsDetected) {
  // A byte-equal copy of the target renamed over it while the job is
  // stopped before the commit: same path, same size, same contents, a
  // different file. The job's writes went to the old file, which no
  // system would see after the swap.
  auto job = Begin({"PAS_FAULT_POINT=job.before_commit:1:stop"});
  ASSERT_TRUE(WaitStopped(job->pid())) << job->Stdout();
  const std::string copy = tgt_ + ".copy";
  std::filesystem::copy_file(tgt_, copy);
  std::filesystem::rename(copy, tgt_);
  job->Kill(SIGCONT);
  int rc = 0;
  std::string out = Finish(job, &rc);
  ExpectFailedCleanly(rc, out, "THE TARGET IMAGE WAS REPLACED DURING THE SWAP");
  auto d = std::filesystem::directory_iterator(std::filesystem::path(tgt_).parent_path());
  int source_decisions = 0;
  for (const auto& e : d) {
    if (e.path().filename().string().find("b887.ckd.pas-decision-") != 0) continue;
    std::ifstream in(e.path());
    std::string text((std::istreambuf_iterator<char>(in)), {});
    EXPECT_TRUE(Contains(text, "SOURCE")) << e.path() << ": " << text;
    ++source_decisions;
  }
  // Every system confirmed it resumed on the source, so the record (if
  // any is left, it says SOURCE) is removed with the job.
  EXPECT_EQ(source_decisions, 0);
  ExpectRetrySwaps();
}

TEST_F(StorageFaultTest, CorruptParticipantBlockFailsWithSource) {
  // The job stops after the copy pass; the monitor is stopped too so its
  // block stays as we corrupt it (a flipped CRC byte).
  auto job = Begin({"PAS_FAULT_POINT=job.copy:stop"});
  ASSERT_TRUE(WaitStopped(job->pid())) << job->Stdout();
  mon_->Kill(SIGSTOP);
  ASSERT_TRUE(WaitStopped(mon_->pid()));
  std::string ctl = tgt_ + ".pas-ctl";
  std::fstream f(ctl, std::ios::in | std::ios::out | std::ios::binary);
  ASSERT_TRUE(f.good());
  int corrupted = 0;
  for (int i = 0; i < 32; ++i) {
    char blk[512];
    f.seekg(12288 + 512 * i);
    f.read(blk, sizeof blk);
    if (std::string(blk, sizeof blk).find("SYSB") == std::string::npos) continue;
    blk[508] ^= 0x5A;
    f.seekp(12288 + 512 * i);
    f.write(blk, sizeof blk);
    ++corrupted;
  }
  f.close();
  ASSERT_EQ(corrupted, 1);
  job->Kill(SIGCONT);
  for (int i = 0; i < 200 && !Contains(job->Stdout(), "PAS240E"); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  mon_->Kill(SIGCONT);
  int rc = 0;
  std::string out = Finish(job, &rc);
  ExpectFailedCleanly(rc, out, "PAS240E");
  ExpectRetrySwaps();
}

}  // namespace
}  // namespace pas::swaptest
