// Helpers for the host tests: small volumes, system configurations and
// forked child processes with a shared memory area.
#pragma once

#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "ckd/image.h"
#include "ckd/track.h"
#include "ckd/volume.h"
#include "host/config.h"
#include "test_util.h"

namespace pas::host::testing {

// A formatted 3390 volume of `cyls` cylinders at `path`.
inline Status MakeVolume(const std::string& path, uint32_t cyls = 10) {
  PAS_ASSIGN_OR_RETURN(ckd::CkdImage img, ckd::CkdImage::Create(path, ckd::k3390Geometry, cyls, false));
  return ckd::FormatVolume(img, "TST001", false);
}

inline SystemConfig MakeConfig(const std::string& name,
                               const std::vector<std::pair<uint16_t, std::string>>& units) {
  SystemConfig c;
  c.path = "test.cnf";
  c.name = name;
  c.cpu_serial = "0123456789";
  int line = 1;
  for (const auto& [devnum, image] : units) {
    UnitConfig u;
    u.devnum = devnum;
    u.device_type = 0x3390;
    u.image_path = image;
    u.line = ++line;
    c.units.push_back(u);
  }
  return c;
}

// A fixture: one formatted 3390 volume as unit kTestUnit of system
// `system_name`, with the runtime directory in a scratch directory. A
// re-executed child (PAS_HOST_TEST_IMAGE set) reuses its parent's volume
// and runtime directory.
inline constexpr uint16_t kTestUnit = 0x1887;
class OneUnitSystemTest : public ::testing::Test {
 protected:
  explicit OneUnitSystemTest(std::string system_name) : system_name_(std::move(system_name)) {}
  void SetUp() override {
    if (const char* child_image = std::getenv("PAS_HOST_TEST_IMAGE"); child_image != nullptr) {
      image_ = child_image;
    } else {
      ::setenv("PAS_RUNTIME_DIR", (dir_ / "run").c_str(), 1);
      image_ = dir_ / "vol.ckd";
      ASSERT_OK(MakeVolume(image_));
    }
    config_ = MakeConfig(system_name_, {{kTestUnit, image_}});
  }
  void TearDown() override { ::pas::testing::RestoreIsolatedEnv(); }

  std::string system_name_;
  ::pas::testing::ScratchDir dir_;
  std::string image_;
  SystemConfig config_;
};

// A track image for `track` holding one 64-byte record R1 whose bytes are
// all `fill`.
inline std::vector<uint8_t> TrackWith(uint32_t track, uint8_t fill) {
  std::vector<uint8_t> slot(ckd::k3390Geometry.slot_size, 0);
  ckd::TrackBuilder b(ckd::k3390Geometry, track);
  std::vector<uint8_t> data(64, fill);
  (void)b.AddRecord(1, {}, data);
  (void)b.Finish(slot);
  return slot;
}

// Anonymous shared memory visible to forked children.
template <typename T>
T* SharedArea(size_t count = 1) {
  void* p = ::mmap(nullptr, sizeof(T) * count, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  return p == MAP_FAILED ? nullptr : new (p) T[count]();
}

// Forks; the child runs fn() and _exits with its return value.
template <typename F>
pid_t ForkChild(F fn) {
  pid_t pid = ::fork();
  if (pid == 0) {
    int rc = 99;
    rc = fn();
    ::_exit(rc);
  }
  return pid;
}

// Waits up to timeout_s for `pid`; returns its exit code, 128+signal, or -1
// on timeout (the child is then SIGKILLed and reaped).
inline int WaitChild(pid_t pid, int timeout_s = 60) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  for (;;) {
    int status = 0;
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

// Polls `cond` every 2 ms for up to timeout_ms.
template <typename C>
bool WaitFor(C cond, int timeout_ms = 10000) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (!cond()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

}  // namespace pas::host::testing
