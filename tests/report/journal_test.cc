// Under systemd (JOURNAL_STREAM naming the output's device and inode) the
// Reporter prefixes each message with its syslog priority, so the journal
// files PASnnnE lines as errors; on any other stream the lines are as is.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "report/report.h"
#include "test_util.h"

namespace pas::report {
namespace {

std::string Emit(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "w");
  EXPECT_NE(f, nullptr);
  {
    Reporter rep(f);
    rep.Message("PAS270I", {{"system", "SYSB"}, {"units", "B887"}});
    rep.Message("PAS272W", {{"system", "SYSB"}, {"volser", "VM1887"}, {"source", "2887"}});
    rep.Message("PAS274E", {{"system", "SYSB"}, {"reason", "y"}});
    rep.Line("  plain line");
  }
  std::fclose(f);
  return pas::testing::ReadFile(path);
}

TEST(JournalStream, MessagesCarryTheirPriorityOnlyOnTheJournalStream) {
  pas::testing::ScratchDir dir;
  const std::string path = dir / "out";
  ::unsetenv("JOURNAL_STREAM");
  std::string plain = Emit(path);
  EXPECT_EQ(plain.rfind("PAS270I MONITOR STARTED ON SYSTEM SYSB", 0), 0u) << plain;
  EXPECT_EQ(plain.find('<'), std::string::npos) << plain;

  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  std::string stream = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
  ::setenv("JOURNAL_STREAM", stream.c_str(), 1);
  std::string journal = Emit(path);  // the same file: same device and inode
  ::unsetenv("JOURNAL_STREAM");
  EXPECT_EQ(journal.rfind("<6>PAS270I MONITOR STARTED ON SYSTEM SYSB", 0), 0u) << journal;
  EXPECT_NE(journal.find("\n<4>PAS272W "), std::string::npos) << journal;
  EXPECT_NE(journal.find("\n<3>PAS274E "), std::string::npos) << journal;
  EXPECT_NE(journal.find("\n  plain line\n"), std::string::npos) << journal;

  ::setenv("JOURNAL_STREAM", "1:2", 1);  // some other stream
  std::string other = Emit(path);
  ::unsetenv("JOURNAL_STREAM");
  EXPECT_EQ(other.find('<'), std::string::npos) << other;
}

}  // namespace
}  // namespace pas::report
