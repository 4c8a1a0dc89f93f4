// The job status board (host/job_status.h): the text format round-trips
// and refuses partial text; an entry is listed while its process lives and
// removed by the next reader once the process died without cleaning up.
#include "host/job_status.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "test_util.h"

namespace pas::host {
namespace {

JobStatus Sample() {
  JobStatus s;
  s.pid = 4242;
  s.system = "SYSA";
  s.function = "SWAPDUMP";
  s.deck = "/decks/with blank.deck";
  s.started_us = 1'700'000'000'000'000;
  s.updated_us = 1'700'000'000'500'000;
  JobVolumeStatus v;
  v.volser = "VM1887";
  v.source_unit = "1887";
  v.target_unit = "B887";
  v.phase = "RECOPY";
  v.pass = 3;
  v.tracks_done = 120;
  v.tracks_total = 480;
  v.dirty_tracks = 7;
  v.percent = 25.0;
  v.rate_mbps = 312.5;
  v.eta_seconds = 12;
  s.volumes.push_back(v);
  v.volser = "VM1888";
  v.phase = "JOIN";
  v.eta_seconds = -1;
  s.volumes.push_back(v);
  return s;
}

TEST(JobStatusFormat, RoundTrips) {
  JobStatus s = Sample();
  auto back = ParseJobStatus(FormatJobStatus(s));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->pid, 4242u);
  EXPECT_EQ(back->system, "SYSA");
  EXPECT_EQ(back->function, "SWAPDUMP");
  EXPECT_EQ(back->deck, "/decks/with blank.deck");
  EXPECT_EQ(back->started_us, s.started_us);
  ASSERT_EQ(back->volumes.size(), 2u);
  EXPECT_EQ(back->volumes[0].phase, "RECOPY");
  EXPECT_EQ(back->volumes[0].pass, 3u);
  EXPECT_EQ(back->volumes[0].tracks_total, 480u);
  EXPECT_EQ(back->volumes[0].dirty_tracks, 7u);
  EXPECT_DOUBLE_EQ(back->volumes[0].rate_mbps, 312.5);
  EXPECT_DOUBLE_EQ(back->volumes[0].eta_seconds, 12);
  EXPECT_LT(back->volumes[1].eta_seconds, 0);
}

TEST(JobStatusFormat, PartialOrForeignTextIsCorruption) {
  std::string text = FormatJobStatus(Sample());
  EXPECT_TRUE(ParseJobStatus(text.substr(0, text.size() - 4)).status().IsCorruption());
  EXPECT_TRUE(ParseJobStatus("").status().IsCorruption());
  EXPECT_TRUE(ParseJobStatus("hello\n").status().IsCorruption());
  std::string bad = text;
  bad.replace(bad.find("RECOPY 3"), 8, "RECOPY x");
  EXPECT_TRUE(ParseJobStatus(bad).status().IsCorruption());
}

class JobStatusBoardTest : public ::testing::Test {
 protected:
  void SetUp() override { ::setenv("PAS_RUNTIME_DIR", (dir_ / "run").c_str(), 1); }
  void TearDown() override { ::unsetenv("PAS_RUNTIME_DIR"); }
  pas::testing::ScratchDir dir_;
};

TEST_F(JobStatusBoardTest, ListsLiveEntriesAndRemovesThemWhenDestroyed) {
  JobStatus s = Sample();
  {
    auto entry = JobStatusEntry::Open(s);
    ASSERT_TRUE(entry.ok()) << entry.status().ToString();
    // This process holds the lock; the reader probes it through its own
    // open file description, so it sees it held.
    auto jobs = ListRunningJobs("SYSA");
    ASSERT_TRUE(jobs.ok());
    ASSERT_EQ(jobs->size(), 1u);
    EXPECT_EQ((*jobs)[0].pid, static_cast<uint32_t>(::getpid()));
    EXPECT_EQ((*jobs)[0].volumes.size(), 2u);
    s.volumes.resize(1);
    s.volumes[0].phase = "FINAL";
    ASSERT_TRUE(entry->Publish(s).ok());
    jobs = ListRunningJobs("SYSA");
    ASSERT_TRUE(jobs.ok());
    ASSERT_EQ(jobs->size(), 1u);
    ASSERT_EQ((*jobs)[0].volumes.size(), 1u);
    EXPECT_EQ((*jobs)[0].volumes[0].phase, "FINAL");
    EXPECT_TRUE(ListRunningJobs("SYSB")->empty());
  }
  EXPECT_TRUE(ListRunningJobs("SYSA")->empty());
  EXPECT_TRUE(std::filesystem::is_empty(JobStatusDir("SYSA")));
}

TEST_F(JobStatusBoardTest, EntryOfADeadProcessIsNotListedAndIsRemoved) {
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto entry = JobStatusEntry::Open(Sample());
    // Dies without running the destructor, as a SIGKILLed job does.
    ::_exit(entry.ok() ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  ASSERT_FALSE(std::filesystem::is_empty(JobStatusDir("SYSA")));
  auto jobs = ListRunningJobs("SYSA");
  ASSERT_TRUE(jobs.ok());
  EXPECT_TRUE(jobs->empty());
  EXPECT_TRUE(std::filesystem::is_empty(JobStatusDir("SYSA")));
}

TEST_F(JobStatusBoardTest, MissingBoardIsAnEmptyList) {
  auto jobs = ListRunningJobs("NOSUCH");
  ASSERT_TRUE(jobs.ok());
  EXPECT_TRUE(jobs->empty());
}

}  // namespace
}  // namespace pas::host
