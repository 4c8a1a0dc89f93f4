// The kill matrix (doc/reliability.md): for each participant — the swap
// job, a monitor, an application writer of either system — and each
// phase of the swap, SIGKILL at that point, selected deterministically
// with PAS_FAULT_POINT. Every case checks the invariants of
// system/kill_scenario.h: one device for every system, no intercept or
// quiesce left, the source unchanged unless committed, the workload
// verify passing, and a second SWAP succeeding.
#include <gtest/gtest.h>

#include "system/kill_scenario.h"

namespace pas::swaptest {
namespace {

const KillCase kCases[] = {
    // The job, at every phase (its own system's participant runs in it).
    {"JobAtAnnounce", Who::kJob, "job.announce", Expect::kSource},
    {"JobAtJoin", Who::kJob, "job.join", Expect::kSource},
    {"JobOwnParticipantJoined", Who::kJob, "monitor.join", Expect::kSource},
    {"JobAtCopy", Who::kJob, "job.copy", Expect::kSource},
    {"JobOwnHandover", Who::kJob, "monitor.harvest", Expect::kSource},
    {"JobAtRecopy1", Who::kJob, "job.recopy:1", Expect::kSource},
    {"JobOwnQuiesce", Who::kJob, "monitor.quiesce", Expect::kSource},
    {"JobAtQuiesce", Who::kJob, "job.quiesce", Expect::kSource},
    {"JobAtFinalCopy", Who::kJob, "job.final_copy", Expect::kSource},
    {"JobBeforeCommit", Who::kJob, "job.before_commit", Expect::kSource},
    {"JobAfterCommit", Who::kJob, "job.after_commit", Expect::kSwap},
    {"JobOwnAfterCommit", Who::kJob, "monitor.after_commit", Expect::kSwap},
    {"JobAtSwap", Who::kJob, "job.swap", Expect::kSwap},
    {"JobAtRelabel", Who::kJob, "job.relabel", Expect::kSwap},
    // The monitor of the other system.
    {"MonitorJoined", Who::kMonitor, "monitor.join", Expect::kSource},
    {"MonitorHandover", Who::kMonitor, "monitor.harvest", Expect::kSource},
    {"MonitorQuiesced", Who::kMonitor, "monitor.quiesce", Expect::kSource},
    {"MonitorAfterCommit", Who::kMonitor, "monitor.after_commit", Expect::kSwap},
    // Application writers killed in the middle of a write: before the job
    // starts (hit 1) and while it runs (hit 300 at 400 writes/s, about
    // 0.25 s after the job started). A writer's death never fails a swap.
    {"WriterOfJobSystemBeforeSwap", Who::kWriterA, "host.write_in_flight:1", Expect::kSwap},
    {"WriterOfJobSystemDuringSwap", Who::kWriterA, "host.write_in_flight:300", Expect::kSwap},
    {"WriterOfMonitorSystemBeforeSwap", Who::kWriterB, "host.write_in_flight:1", Expect::kSwap},
    {"WriterOfMonitorSystemDuringSwap", Who::kWriterB, "host.write_in_flight:300", Expect::kSwap},
    // SYSB's monitor dies at once and SYSB's application ends after the job
    // listed SYSB but before it joined: no process of SYSB runs, but SYSB
    // still has the source varied online (a fact on the storage), so it is
    // waited for and NONRESPONDING=FAIL fails the swap; every system stays
    // on the source.
    {.name = "MonitorGoneAndSystemIdleAtJoin", .who = Who::kMonitor, .expect = Expect::kSource, .delay_ms = 1,
     .job_waits_for_b = true},
};

class KillMatrixTest : public KillScenario, public ::testing::WithParamInterface<KillCase> {};

TEST_P(KillMatrixTest, InvariantsHold) {
  const KillCase& c = GetParam();
  Prepare();
  std::string log;
  KillOutcome o = RunCase(c, &log);
  EXPECT_TRUE(o.killed) << WhoName(c.who) << " was not killed at " << c.point << "\n" << log;
  EXPECT_EQ(o.failure, "") << WhoName(c.who) << " at " << c.point << "\n" << log;
}

INSTANTIATE_TEST_SUITE_P(Kill, KillMatrixTest, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<KillCase>& i) { return i.param.name; });

}  // namespace
}  // namespace pas::swaptest
