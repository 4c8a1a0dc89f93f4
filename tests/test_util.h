// Helpers shared by the test suites: status assertions, scratch
// directories, and running real processes with a timeout.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "base/status.h"

#define ASSERT_OK(expr)                                      \
  do {                                                       \
    const ::pas::Status s_ = ::pas::testing::ToStatus(expr);  \
    ASSERT_TRUE(s_.ok()) << s_.ToString();                   \
  } while (0)
#define EXPECT_OK(expr)                                      \
  do {                                                       \
    const ::pas::Status s_ = ::pas::testing::ToStatus(expr);  \
    EXPECT_TRUE(s_.ok()) << s_.ToString();                   \
  } while (0)

namespace pas::testing {

inline const Status& ToStatus(const Status& s) { return s; }
template <typename T>
const Status& ToStatus(const Result<T>& r) { return r.status(); }

// A fresh directory under $TMPDIR (or /tmp), removed with its contents when
// the object dies unless PAS_KEEP_TEST_DIRS is set.
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

struct ProcessResult {
  int exit_code = -1;  // exit status, or 128+signal when killed
  bool timed_out = false;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Runs argv (argv[0] is a path or a name looked up in PATH) with optional
// stdin text and extra environment ("K=V"), killing it after timeout_s.
ProcessResult Run(const std::vector<std::string>& argv, const std::string& stdin_text = "",
                  const std::vector<std::string>& env = {}, int timeout_s = 120);

// Hercules' dasdcopy with `args` (the output file last). dasdcopy -z
// occasionally aborts in its own teardown on a loaded machine (glibc:
// "corrupted size vs. prev_size", after it reported the copy complete): a
// fault of the tool, not of the input. A run killed by a signal is retried
// (the output removed first) up to three times, each crash logged to
// stderr; any other failure is returned as is.
ProcessResult RunDasdcopy(const std::vector<std::string>& args, int timeout_s = 60);

// A child process started in the background; killed (SIGKILL) and reaped
// on destruction if still running. Output goes to files in `log_dir`.
class Child {
 public:
  Child(const std::vector<std::string>& argv, const std::vector<std::string>& env = {},
        const std::string& log_prefix = "");
  ~Child();
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  int pid() const { return pid_; }
  void Kill(int sig = 9);
  // Waits up to timeout_s; returns the exit code (128+sig if killed), or -1
  // on timeout (the child is then killed).
  int Wait(int timeout_s = 120);
  bool Running();
  std::string Stdout() const;
  std::string Stderr() const;

 private:
  int pid_ = -1;
  int status_ = -1;
  bool reaped_ = false;
  std::string out_path_, err_path_;
};

// Every test process runs with its own runtime and state directories:
// before the first test, PAS_RUNTIME_DIR and PAS_STATE_DIR are set to fresh
// directories under a per-process scratch directory (removed at the end),
// and PAS_CONFIG is cleared, so tests running in parallel never share a
// system's unit table or a history. A test that sets PAS_RUNTIME_DIR itself
// restores the isolated one with RestoreIsolatedEnv() when it is done.
const std::string& IsolatedRuntimeDir();
const std::string& IsolatedStateDir();
void RestoreIsolatedEnv();

// The file's bytes ("" if missing).
std::string ReadFile(const std::string& path);
void WriteFile(const std::string& path, const std::string& text);

}  // namespace pas::testing
