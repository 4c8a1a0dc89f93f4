// The I/O backends on their own: completions, the fault spec parser, the
// fault injector's behaviours and the automatic choice.
#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <cstdlib>
#include <string>
#include <vector>

#include "engine/io_backend.h"
#include "test_util.h"

namespace pas::engine {
namespace {

using pas::testing::ScratchDir;

class FileFixture : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    fd_ = ::open((dir_ / "f").c_str(), O_RDWR | O_CREAT, 0600);
    ASSERT_GE(fd_, 0);
  }
  void TearDown() override { ::close(fd_); }
  std::unique_ptr<IoBackend> Make(unsigned depth) {
    if (GetParam() == "uring") {
      auto b = MakeUringBackend(depth);
      EXPECT_OK(b);
      if (b.ok()) return std::move(b).value();
    }
    return MakePreadBackend(depth);
  }
  ScratchDir dir_;
  int fd_ = -1;
};

TEST_P(FileFixture, WritesThenReadsBackWithUserTags) {
  auto backend = Make(4);
  std::vector<uint8_t> a(8192, 0xA5), b(4096, 0x5A);
  ASSERT_OK(backend->Submit({.op = IoOp::kWrite, .fd = fd_, .offset = 0, .buf = a, .user = 7}));
  ASSERT_OK(backend->Submit({.op = IoOp::kWrite, .fd = fd_, .offset = 8192, .buf = b, .user = 9}));
  EXPECT_EQ(backend->outstanding(), 2u);
  uint32_t total = 0;
  std::vector<uint64_t> users;
  while (backend->outstanding() > 0) {
    auto done = backend->Wait(1);
    ASSERT_OK(done);
    for (const auto& c : *done) {
      EXPECT_EQ(c.error, 0);
      total += c.bytes;
      users.push_back(c.user);
    }
  }
  EXPECT_EQ(total, 12288u);
  std::sort(users.begin(), users.end());
  EXPECT_EQ(users, (std::vector<uint64_t>{7, 9}));
  ASSERT_OK(backend->Sync(fd_));

  std::vector<uint8_t> r(12288 + 100, 0);
  ASSERT_OK(backend->Submit({.op = IoOp::kRead, .fd = fd_, .offset = 0, .buf = r, .user = 1}));
  auto done = backend->Wait(1);
  ASSERT_OK(done);
  ASSERT_EQ(done->size(), 1u);
  EXPECT_EQ((*done)[0].bytes, 12288u);  // a short read at end of file is reported as such
  EXPECT_EQ(r[0], 0xA5);
  EXPECT_EQ(r[8191], 0xA5);
  EXPECT_EQ(r[8192], 0x5A);
}

TEST_P(FileFixture, ErrorsArrivePositiveAndCapacityIsEnforced) {
  auto backend = Make(1);
  std::vector<uint8_t> buf(512);
  int ro = ::open((dir_ / "f").c_str(), O_RDONLY);
  ASSERT_GE(ro, 0);
  ASSERT_OK(backend->Submit({.op = IoOp::kWrite, .fd = ro, .offset = 0, .buf = buf, .user = 3}));
  Status full = backend->Submit({.op = IoOp::kRead, .fd = fd_, .offset = 0, .buf = buf, .user = 4});
  EXPECT_TRUE(full.IsInvalidArgument());
  auto done = backend->Wait(1);
  ASSERT_OK(done);
  ASSERT_EQ(done->size(), 1u);
  EXPECT_EQ((*done)[0].error, EBADF);
  EXPECT_EQ((*done)[0].bytes, 0u);
  ::close(ro);
  EXPECT_TRUE(backend->Submit({.op = IoOp::kRead, .fd = fd_, .offset = 0, .buf = {}, .user = 5})
                  .IsInvalidArgument());
}

INSTANTIATE_TEST_SUITE_P(Backends, FileFixture, ::testing::Values("uring", "pread"));

TEST(FaultSpecTest, ParsesEveryItem) {
  auto spec = ParseFaultSpec(
      "read_error@5:EIO,write_error@7:ENOSPC:sticky,sync_error@2,write_enospc@100M,"
      "short_reads,short_writes,eagain,torn_write@3,lost_write@4");
  ASSERT_OK(spec);
  EXPECT_EQ(spec->read_error.nth, 5u);
  EXPECT_EQ(spec->read_error.error, EIO);
  EXPECT_FALSE(spec->read_error.sticky);
  EXPECT_EQ(spec->write_error.nth, 7u);
  EXPECT_EQ(spec->write_error.error, ENOSPC);
  EXPECT_TRUE(spec->write_error.sticky);
  EXPECT_EQ(spec->sync_error.nth, 2u);
  EXPECT_EQ(spec->sync_error.error, EIO);
  EXPECT_EQ(spec->enospc_offset, 100ull << 20);
  EXPECT_TRUE(spec->short_reads);
  EXPECT_TRUE(spec->short_writes);
  EXPECT_EQ(spec->eagain_every, 3u);
  EXPECT_EQ(spec->torn_write, 3u);
  EXPECT_EQ(spec->lost_write, 4u);
  auto numeric = ParseFaultSpec("read_error@1:28,eagain@5");
  ASSERT_OK(numeric);
  EXPECT_EQ(numeric->read_error.error, 28);
  EXPECT_EQ(numeric->eagain_every, 5u);
}

TEST(FaultSpecTest, RejectsMalformedItemsNamingThem) {
  for (const char* bad : {"read_error", "read_error@0", "read_error@x", "read_error@2:EWHAT",
                          "write_enospc@12Q", "short_reads@3", "bogus", "eagain@0",
                          "torn_write@", "lost_write@1:EIO"}) {
    auto spec = ParseFaultSpec(bad);
    ASSERT_FALSE(spec.ok()) << bad;
    EXPECT_TRUE(spec.status().IsInvalidArgument());
    EXPECT_NE(spec.status().message().find(bad), std::string::npos) << spec.status().message();
  }
}

TEST(FaultInjectorTest, FailsTheNthReadAndStickyRangesKeepFailing) {
  ScratchDir dir;
  int fd = ::open((dir / "f").c_str(), O_RDWR | O_CREAT, 0600);
  ASSERT_GE(fd, 0);
  std::vector<uint8_t> data(4096, 1);
  ASSERT_EQ(::pwrite(fd, data.data(), data.size(), 0), 4096);
  FaultSpec spec;
  spec.read_error = {.nth = 2, .error = ENXIO, .sticky = true};
  FaultInjectingBackend backend(MakePreadBackend(2), spec);
  std::vector<uint8_t> buf(1024);
  auto read_at = [&](uint64_t offset) {
    EXPECT_OK(backend.Submit({.op = IoOp::kRead, .fd = fd, .offset = offset, .buf = buf, .user = 1}));
    auto done = backend.Wait(1);
    EXPECT_OK(done);
    return done.ok() && done->size() == 1 ? (*done)[0] : IoCompletion{.error = -1};
  };
  EXPECT_EQ(read_at(0).error, 0);
  EXPECT_EQ(read_at(1024).error, ENXIO);  // the 2nd read
  EXPECT_EQ(read_at(1536).error, ENXIO);  // overlaps the bad range
  EXPECT_EQ(read_at(2048).bytes, 1024u);  // beyond it
  EXPECT_EQ(backend.faults_injected(), 2u);
  EXPECT_EQ(backend.reads_submitted(), 4u);
  EXPECT_EQ(backend.name(), "faults(pread)");
  ::close(fd);
}

TEST(FaultInjectorTest, EnospcShortensTheWriteThatCrossesTheLimit) {
  ScratchDir dir;
  int fd = ::open((dir / "f").c_str(), O_RDWR | O_CREAT, 0600);
  ASSERT_GE(fd, 0);
  FaultSpec spec;
  spec.enospc_offset = 6000;
  FaultInjectingBackend backend(MakePreadBackend(2), spec);
  std::vector<uint8_t> buf(4096, 2);
  ASSERT_OK(backend.Submit({.op = IoOp::kWrite, .fd = fd, .offset = 4096, .buf = buf, .user = 1}));
  auto done = backend.Wait(1);
  ASSERT_OK(done);
  EXPECT_EQ((*done)[0].bytes, 6000u - 4096u);
  ASSERT_OK(backend.Submit({.op = IoOp::kWrite, .fd = fd, .offset = 6000, .buf = buf, .user = 1}));
  done = backend.Wait(1);
  ASSERT_OK(done);
  EXPECT_EQ((*done)[0].error, ENOSPC);
  struct stat st;
  ASSERT_EQ(::fstat(fd, &st), 0);
  EXPECT_EQ(st.st_size, 6000);
  ::close(fd);
}

TEST(AutoBackendTest, HonoursTheEnvironment) {
  ::setenv("PAS_IO_BACKEND", "pread", 1);
  ::unsetenv("PAS_IO_FAULTS");
  EXPECT_EQ(MakeAutoBackend(4)->name(), "pread");
  ::setenv("PAS_IO_BACKEND", "uring", 1);
  EXPECT_EQ(MakeAutoBackend(4)->name(), "io_uring");
  ::unsetenv("PAS_IO_BACKEND");
  EXPECT_EQ(MakeAutoBackend(4)->name(), "io_uring");
  ::setenv("PAS_IO_FAULTS", "read_error@1,short_writes", 1);
  auto faulty = MakeAutoBackend(4);
  EXPECT_EQ(faulty->name(), "faults(io_uring)");
  EXPECT_EQ(faulty->capacity(), 4u);
  ::setenv("PAS_IO_FAULTS", "nonsense", 1);
  EXPECT_EQ(MakeAutoBackend(4)->name(), "io_uring");  // malformed: logged, ignored
  ::unsetenv("PAS_IO_FAULTS");
}

}  // namespace
}  // namespace pas::engine
