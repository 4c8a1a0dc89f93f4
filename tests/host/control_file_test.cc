// Control files (base/control_file.h): never followed through a symlink,
// created exclusively, refused when another user owns them or when group
// or others may write them. Files are planted by the user nobody.
#include "base/control_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "host/decision.h"
#include "report/history.h"
#include "test_util.h"

namespace pas {
namespace {

namespace fs = std::filesystem;
using testing::ReadFile;
using testing::ScratchDir;
using testing::WriteFile;

void AsNobody(const std::vector<std::string>& argv) {
  std::vector<std::string> cmd = {"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"};
  cmd.insert(cmd.end(), argv.begin(), argv.end());
  testing::ProcessResult r = testing::Run(cmd, "", {}, 30);
  ASSERT_EQ(r.exit_code, 0) << "planting as nobody failed (needs root and setpriv): " << r.out << r.err;
}

class ControlFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::geteuid(), 0u) << "these tests plant files as another user and must run as root";
    ASSERT_EQ(::chmod(dir_.path().c_str(), 01777), 0);
    WriteFile(dir_ / "victim", "");
  }
  ScratchDir dir_;
};

TEST_F(ControlFileTest, PlantedSymlinkIsNeverFollowed) {
  AsNobody({"ln", "-s", dir_ / "victim", dir_ / "ctl"});
  auto fd = OpenControlFile(dir_ / "ctl", {.create = true});
  ASSERT_FALSE(fd.ok());
  EXPECT_NE(fd.status().message().find("PAS285E"), std::string::npos) << fd.status().ToString();
  AsNobody({"ln", "-s", dir_ / "absent", dir_ / "ctl2"});
  EXPECT_FALSE(OpenControlFile(dir_ / "ctl2", {.create = true}).ok());
  EXPECT_FALSE(fs::exists(dir_ / "absent")) << "a file was created at the link's target";
  EXPECT_EQ(fs::file_size(dir_ / "victim"), 0u);
}

TEST_F(ControlFileTest, FileOfAnotherUserOrWritableByOthersIsRefused) {
  AsNobody({"sh", "-c", "umask 0; : > " + (dir_ / "theirs")});
  auto fd = OpenControlFile(dir_ / "theirs", {});
  ASSERT_FALSE(fd.ok());
  EXPECT_NE(fd.status().message().find("owned by uid 65534"), std::string::npos) << fd.status().ToString();
  WriteFile(dir_ / "mine", "");
  ASSERT_EQ(::chmod((dir_ / "mine").c_str(), 0666), 0);
  fd = OpenControlFile(dir_ / "mine", {});
  ASSERT_FALSE(fd.ok());
  EXPECT_NE(fd.status().message().find("writable by group or others"), std::string::npos);
}

TEST_F(ControlFileTest, CreatedExclusivelyWithMode0644) {
  const mode_t old = ::umask(0);
  auto fd = OpenControlFile(dir_ / "new", {.create = true});
  ::umask(old);
  ASSERT_OK(fd);
  ::close(*fd);
  struct stat st {};
  ASSERT_EQ(::stat((dir_ / "new").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
}

TEST_F(ControlFileTest, DecisionRecordThroughASymlinkIsRefused) {
  WriteFile(dir_ / "victim", "SWAP\n");
  AsNobody({"ln", "-s", dir_ / "victim", dir_ / "tgt.pas-decision-1"});
  auto d = host::ReadDecision(dir_ / "tgt.pas-decision-1");
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.status().message().find("PAS285E"), std::string::npos) << d.status().ToString();
}

TEST_F(ControlFileTest, HistoryThroughASymlinkIsRefusedAndTheTargetUntouched) {
  AsNobody({"ln", "-s", dir_ / "victim", dir_ / report::kHistoryFileName});
  report::HistoryRecord r;
  r.volser = "VOL001";
  Status s = report::AppendHistory(dir_.path(), r);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("PAS285E"), std::string::npos) << s.ToString();
  EXPECT_EQ(ReadFile(dir_ / "victim"), "");
}

TEST_F(ControlFileTest, DirectoryOfAnotherUserIsRefused) {
  AsNobody({"mkdir", "-m", "0755", dir_ / "theirs"});
  EXPECT_FALSE(CheckControlDirectory(dir_ / "theirs").ok());
  AsNobody({"ln", "-s", "/tmp", dir_ / "link"});
  EXPECT_FALSE(CheckControlDirectory(dir_ / "link").ok());
  EXPECT_OK(CheckControlDirectory(dir_.path()));  // root's, sticky
}

}  // namespace
}  // namespace pas
