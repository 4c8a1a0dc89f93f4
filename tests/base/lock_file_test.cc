// OpenLockFile: creates a missing file through a separate open and returns
// a descriptor of an open by name, whose locks conflict with other opens.
#include "base/lock_file.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "test_util.h"

namespace pas {
namespace {

bool LockByte(int fd) {
  struct flock fl = {};
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  fl.l_start = 1 << 20;
  fl.l_len = 1;
  return ::fcntl(fd, F_OFD_SETLK, &fl) == 0;
}

TEST(OpenLockFile, CreatesAMissingFileAndItsLocksConflict) {
  pas::testing::ScratchDir dir;
  const std::string path = dir / "lock";
  int a = OpenLockFile(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  ASSERT_GE(a, 0) << errno;
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  int b = OpenLockFile(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  ASSERT_GE(b, 0);
  EXPECT_TRUE(LockByte(a));
  EXPECT_FALSE(LockByte(b));  // another open file description: conflicts
  ::close(a);
  EXPECT_TRUE(LockByte(b));
  ::close(b);
}

TEST(OpenLockFile, WithoutCreateAMissingFileIsEnoent) {
  pas::testing::ScratchDir dir;
  errno = 0;
  EXPECT_LT(OpenLockFile(dir / "none", O_RDWR, 0644), 0);
  EXPECT_EQ(errno, ENOENT);
}

TEST(OpenLockFile, ExclusiveOrTruncatingCreateIsRefused) {
  pas::testing::ScratchDir dir;
  EXPECT_LT(OpenLockFile(dir / "x", O_RDWR | O_CREAT | O_EXCL, 0644), 0);
  EXPECT_EQ(errno, EINVAL);
  EXPECT_LT(OpenLockFile(dir / "x", O_RDWR | O_CREAT | O_TRUNC, 0644), 0);
  EXPECT_EQ(errno, EINVAL);
}

}  // namespace
}  // namespace pas
