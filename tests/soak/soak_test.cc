// The randomized soak (doc/reliability.md): for SOAK_SECONDS (default 60,
// the CI slice) runs kill scenarios of system/kill_scenario.h with a
// random participant (the job, the monitor, a writer of either system),
// a random fault point and hit count, or a SIGKILL after a random delay,
// and checks every invariant after each. The seed (SOAK_SEED, default from
// the clock) is printed first; the first violation stops the run with its
// reproducer (seed, iteration, participant, fault). scripts/soak.sh runs it.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>

#include "system/kill_scenario.h"

namespace pas::swaptest {
namespace {

struct Point {
  Who who;
  const char* name;
  int max_hit;
};

const Point kPoints[] = {
    {Who::kJob, "job.announce", 1},         {Who::kJob, "job.join", 1},
    {Who::kJob, "job.copy", 1},             {Who::kJob, "job.recopy", 3},
    {Who::kJob, "job.quiesce", 1},          {Who::kJob, "job.final_copy", 1},
    {Who::kJob, "job.before_commit", 1},    {Who::kJob, "job.after_commit", 1},
    {Who::kJob, "job.swap", 1},             {Who::kJob, "job.relabel", 1},
    {Who::kJob, "monitor.join", 1},         {Who::kJob, "monitor.harvest", 4},
    {Who::kJob, "monitor.quiesce", 1},      {Who::kJob, "monitor.after_commit", 1},
    {Who::kMonitor, "monitor.join", 1},     {Who::kMonitor, "monitor.harvest", 4},
    {Who::kMonitor, "monitor.quiesce", 1},  {Who::kMonitor, "monitor.after_commit", 1},
    {Who::kWriterA, "host.write_in_flight", 900}, {Who::kWriterB, "host.write_in_flight", 900},
};

TEST(Soak, RandomKillsKeepEveryInvariant) {
  const char* secs_env = std::getenv("SOAK_SECONDS");
  const char* seed_env = std::getenv("SOAK_SEED");
  const int seconds = secs_env && *secs_env ? std::atoi(secs_env) : 60;
  const uint64_t seed = seed_env && *seed_env ? std::strtoull(seed_env, nullptr, 10)
                                              : static_cast<uint64_t>(std::chrono::system_clock::now()
                                                                          .time_since_epoch()
                                                                          .count());
  std::printf("SOAK SEED=%llu SECONDS=%d\n", static_cast<unsigned long long>(seed), seconds);
  std::fflush(stdout);
  std::mt19937_64 rng(seed);
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  int iterations = 0, kills = 0, committed = 0;
  while (iterations == 0 || std::chrono::steady_clock::now() < end) {
    ++iterations;
    KillCase c;
    if (rng() % 4 == 0) {
      // A SIGKILL at a random time of a random participant.
      const Who who[] = {Who::kJob, Who::kMonitor, Who::kWriterA, Who::kWriterB};
      c.who = who[rng() % 4];
      c.delay_ms = 1 + static_cast<int>(rng() % 1500);
      c.name = std::string("sigkill ") + WhoName(c.who) + " after " + std::to_string(c.delay_ms) + " ms";
    } else {
      const Point& p = kPoints[rng() % (sizeof kPoints / sizeof kPoints[0])];
      c.who = p.who;
      c.point = std::string(p.name) + ":" + std::to_string(1 + rng() % p.max_hit);
      c.name = std::string(WhoName(c.who)) + " at " + c.point;
    }
    c.expect = Expect::kEither;
    KillScenario s;
    s.Prepare();
    std::string log;
    KillOutcome o = s.RunCase(c, &log);
    kills += o.killed;
    committed += o.committed;
    std::printf("SOAK %d: %s: %s%s\n", iterations, c.name.c_str(), o.killed ? "killed, " : "not reached, ",
                o.committed ? "swapped" : "stayed on the source");
    std::fflush(stdout);
    if (!o.failure.empty()) {
      ADD_FAILURE() << "SOAK VIOLATION: seed " << seed << " iteration " << iterations << " (" << c.name
                    << "): " << o.failure << "\n" << log;
      break;
    }
  }
  std::printf("SOAK DONE: SEED=%llu ITERATIONS=%d KILLS SURVIVED=%d COMMITTED=%d BYTES LOST=0\n",
              static_cast<unsigned long long>(seed), iterations, kills, committed);
}

}  // namespace
}  // namespace pas::swaptest
