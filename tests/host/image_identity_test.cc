// Image identity (host/image_identity.h): device + inode through symlinks
// and hard links for every file of a set, and the id stored in the online
// registry.
#include "host/image_identity.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "ckd/device.h"
#include "ckd/image.h"
#include "ckd/volume.h"
#include "host/online_registry.h"
#include "test_util.h"

namespace pas::host {
namespace {

namespace fs = std::filesystem;
using ::pas::testing::ScratchDir;

void MakeImage(const std::string& path, bool split = false) {
  auto img = ckd::CkdImage::Create(path, ckd::k3390Geometry, split ? 4400 : 3, split);
  ASSERT_OK(img);
}

TEST(ImageIdentityTest, DistinctFilesDoNotOverlap) {
  ScratchDir d;
  MakeImage(d / "a.ckd");
  MakeImage(d / "b.ckd");
  EXPECT_FALSE(ImagesOverlap(d / "a.ckd", d / "b.ckd"));
}

TEST(ImageIdentityTest, SymlinkIsTheSameImage) {
  ScratchDir d;
  MakeImage(d / "a.ckd");
  fs::create_symlink(d / "a.ckd", d / "link.ckd");
  auto shared = ImagesOverlap(d / "link.ckd", d / "a.ckd");
  ASSERT_TRUE(shared);
  EXPECT_EQ(shared->a_file, d / "link.ckd");
  EXPECT_EQ(shared->b_file, d / "a.ckd");
}

TEST(ImageIdentityTest, HardLinkAndDirectorySymlinkAreTheSameImage) {
  ScratchDir d;
  MakeImage(d / "a.ckd");
  fs::create_hard_link(d / "a.ckd", d / "hard.ckd");
  fs::create_directory_symlink(d.path(), d / "alias");
  EXPECT_TRUE(ImagesOverlap(d / "hard.ckd", d / "a.ckd"));
  EXPECT_TRUE(ImagesOverlap(d / "alias/a.ckd", d / "a.ckd"));
}

TEST(ImageIdentityTest, EveryFileOfASetCounts) {
  ScratchDir d;
  MakeImage(d / "set.ckd", /*split=*/true);
  auto id = IdentifyImage(d / "set.ckd");
  ASSERT_OK(id);
  ASSERT_GE(id->files.size(), 2u);
  fs::create_hard_link(id->files[1], d / "member.ckd");
  auto shared = ImagesOverlap(d / "member.ckd", d / "set_1.ckd");
  ASSERT_TRUE(shared);
  EXPECT_EQ(shared->b_file, id->files[1]);
}

TEST(ImageIdentityTest, MissingImageIsNotFound) {
  ScratchDir d;
  EXPECT_TRUE(IdentifyImage(d / "none.ckd").status().IsNotFound());
  EXPECT_FALSE(ImagesOverlap(d / "none.ckd", d / "none.ckd"));
}

TEST(ImageIdentityTest, StoredIdIsAssignedOnceAndSharedByEveryName) {
  ScratchDir d;
  MakeImage(d / "a.ckd");
  fs::create_symlink(d / "a.ckd", d / "link.ckd");
  auto none = ReadImageId(d / "a.ckd");
  ASSERT_OK(none);
  EXPECT_EQ(*none, "");
  EXPECT_FALSE(fs::exists(RegistryPath(d / "a.ckd")));  // reading never creates
  auto id = EnsureImageId(d / "link.ckd");
  ASSERT_OK(id);
  EXPECT_EQ(id->size(), 32u);
  EXPECT_EQ(RegistryPath(d / "link.ckd"), RegistryPath(d / "a.ckd"));
  auto again = EnsureImageId(d / "a.ckd");
  ASSERT_OK(again);
  EXPECT_EQ(*again, *id);
  auto read = ReadImageId(d / "a.ckd");
  ASSERT_OK(read);
  EXPECT_EQ(*read, *id);

  MakeImage(d / "b.ckd");
  auto other = EnsureImageId(d / "b.ckd");
  ASSERT_OK(other);
  EXPECT_NE(*other, *id);
}

TEST(OnlineFactTest, VariedOnlinePersistsWithoutAProcessUntilVariedOffline) {
  ScratchDir d;
  MakeImage(d / "a.ckd");
  ASSERT_OK(MarkSystemOnline(d / "a.ckd", "SYSB", "0001", 0x1887));
  auto list = ListOnlineSystems(d / "a.ckd");
  ASSERT_OK(list);
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].name, "SYSB");
  EXPECT_TRUE((*list)[0].varied_online);
  EXPECT_FALSE((*list)[0].live);
  auto reg = SystemRegistered(d / "a.ckd", "SYSB");
  ASSERT_OK(reg);
  EXPECT_FALSE(*reg);  // no live process

  MakeImage(d / "b.ckd");
  ASSERT_OK(TransferOnline(d / "a.ckd", d / "b.ckd"));
  list = ListOnlineSystems(d / "a.ckd");
  ASSERT_OK(list);
  EXPECT_TRUE(list->empty());
  list = ListOnlineSystems(d / "b.ckd");
  ASSERT_OK(list);
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].devnum, 0x1887);

  ASSERT_OK(MarkSystemOffline(d / "b.ckd", "SYSB"));
  list = ListOnlineSystems(d / "b.ckd");
  ASSERT_OK(list);
  EXPECT_TRUE(list->empty());
}

}  // namespace
}  // namespace pas::host
