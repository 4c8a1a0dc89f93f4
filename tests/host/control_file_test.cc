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

// The runtime directory, the unit table in it and the state directory, as
// the real `pas` process meets them: planted by nobody, each is refused
// with its message and a non-zero condition code, and nothing is written
// through it.
class PlantedDirectoryTest : public ControlFileTest {
 protected:
  void SetUp() override {
    ControlFileTest::SetUp();
    ASSERT_EQ(::mkdir((dir_ / "vols").c_str(), 0755), 0);
    auto init = testing::Run({PAS_BINARY, "volume", "init", dir_ / "vols/src.ckd", "--model", "3390-1",
                              "--volser", "VOL001", "--cylinders", "5", "--vtoc"});
    ASSERT_EQ(init.exit_code, 0) << init.out << init.err;
    auto tgt = testing::Run({PAS_BINARY, "volume", "init", dir_ / "vols/tgt.ckd", "--model", "3390-1",
                             "--volser", "NEW001", "--cylinders", "5"});
    ASSERT_EQ(tgt.exit_code, 0) << tgt.out << tgt.err;
    WriteFile(dir_ / "vols/sys.cnf", "LPARNAME SYSA\n1887 3390 src.ckd\nB887 3390 tgt.ckd\nOFFLINE B887\n");
    before_ = ReadFile(dir_ / "vols/src.ckd");
  }
  testing::ProcessResult Display(const std::string& runtime, const std::string& state) {
    return testing::Run({PAS_BINARY, "display", "--config", dir_ / "vols/sys.cnf"}, "",
                        {"PAS_RUNTIME_DIR=" + runtime, "PAS_STATE_DIR=" + state});
  }
  void ExpectUntouched() {
    EXPECT_EQ(ReadFile(dir_ / "victim"), "");
    EXPECT_TRUE(ReadFile(dir_ / "vols/src.ckd") == before_) << "the image changed";
  }
  std::string before_;
};

TEST_F(PlantedDirectoryTest, RuntimeDirectoryPlantedAsASymlinkIsRefused) {
  ASSERT_EQ(::mkdir((dir_ / "elsewhere").c_str(), 0700), 0);
  AsNobody({"ln", "-s", dir_ / "elsewhere", dir_ / "run"});
  auto r = Display(dir_ / "run", dir_ / "state");
  EXPECT_NE(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE((r.out + r.err).find("PAS285E"), std::string::npos) << r.out << r.err;
  EXPECT_NE((r.out + r.err).find(dir_ / "run"), std::string::npos) << r.out << r.err;
  EXPECT_TRUE(fs::is_empty(dir_ / "elsewhere")) << "a unit table was created through the symlink";
  ExpectUntouched();
}

TEST_F(PlantedDirectoryTest, RuntimeDirectoryOfAnotherUserIsRefused) {
  AsNobody({"mkdir", "-m", "0777", dir_ / "run"});
  auto r = Display(dir_ / "run", dir_ / "state");
  EXPECT_NE(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE((r.out + r.err).find("PAS285E"), std::string::npos) << r.out << r.err;
  EXPECT_TRUE(fs::is_empty(dir_ / "run")) << "a unit table was created in nobody's directory";
  ExpectUntouched();
}

TEST_F(PlantedDirectoryTest, UnitTablePlantedInASharedRuntimeDirectoryIsRefused) {
  // A shared, sticky runtime directory (as /tmp is): nobody plants the
  // system's unit table as a symlink to a file of root's, then as a file
  // of their own.
  ASSERT_EQ(::mkdir((dir_ / "run").c_str(), 01777), 0);
  ASSERT_EQ(::chmod((dir_ / "run").c_str(), 01777), 0);
  AsNobody({"ln", "-s", dir_ / "victim", dir_ / "run/SYSA.units"});
  auto r = Display(dir_ / "run", dir_ / "state");
  EXPECT_NE(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE((r.out + r.err).find("PAS190E"), std::string::npos) << r.out << r.err;
  ExpectUntouched();
  AsNobody({"rm", dir_ / "run/SYSA.units"});
  AsNobody({"sh", "-c", "umask 022 && : > " + dir_ / "run/SYSA.units"});
  auto o = Display(dir_ / "run", dir_ / "state");
  EXPECT_NE(o.exit_code, 0) << o.out << o.err;
  EXPECT_NE((o.out + o.err).find("PAS285E"), std::string::npos) << o.out << o.err;
  EXPECT_EQ(fs::file_size(dir_ / "run/SYSA.units"), 0u) << "nobody's unit table was written";
  ExpectUntouched();
}

TEST_F(PlantedDirectoryTest, StateDirectoryPlantedAsASymlinkGetsNoHistory) {
  ASSERT_EQ(::mkdir((dir_ / "elsewhere").c_str(), 0700), 0);
  AsNobody({"ln", "-s", dir_ / "elsewhere", dir_ / "state"});
  auto r = testing::Run({PAS_BINARY, "run", "--config", dir_ / "vols/sys.cnf"},
                        "SIMSWAP TYPE=FULL\nMOUNT VOL=VOL001,SWAPUNIT=B887\n",
                        {"PAS_RUNTIME_DIR=" + (dir_ / "run"), "PAS_STATE_DIR=" + (dir_ / "state")});
  // The simulation itself completes; the history cannot be kept (PAS503W).
  EXPECT_EQ(r.exit_code, 4) << r.out << r.err;
  EXPECT_NE(r.out.find("PAS265I"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("PAS503W"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("PAS285E"), std::string::npos) << r.out;
  auto h = testing::Run({PAS_BINARY, "history"}, "", {"PAS_STATE_DIR=" + (dir_ / "state")});
  EXPECT_NE(h.exit_code, 0) << h.out << h.err;
  EXPECT_NE((h.out + h.err).find("PAS285E"), std::string::npos) << h.out << h.err;
  EXPECT_TRUE(fs::is_empty(dir_ / "elsewhere")) << "history written through the symlink";
  ExpectUntouched();
}

}  // namespace
}  // namespace pas
