#include "test_util.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace pas::testing {
namespace {

std::vector<char*> CStrings(std::vector<std::string>& v) {
  std::vector<char*> out;
  for (auto& s : v) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// Forks and execs argv with stdin from `stdin_path` (or /dev/null), stdout
// and stderr to the given files, env = environ + extra. Returns the pid.
int Spawn(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env,
          const std::string& stdin_path, const std::string& out_path, const std::string& err_path) {
  std::vector<std::string> args = argv;
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) env.emplace_back(*e);
  for (const auto& kv : extra_env) {
    auto key = kv.substr(0, kv.find('=') + 1);
    std::erase_if(env, [&](const std::string& s) { return s.rfind(key, 0) == 0; });
    env.push_back(kv);
  }
  auto cargs = CStrings(args);
  auto cenv = CStrings(env);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);
    int in = ::open(stdin_path.empty() ? "/dev/null" : stdin_path.c_str(), O_RDONLY);
    int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(err, 2);
    ::execvpe(cargs[0], cargs.data(), cenv.data());
    ::_exit(127);
  }
  return pid;
}

int DecodeStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

std::string TempBase() {
  const char* t = std::getenv("TMPDIR");
  return t && *t ? t : "/tmp";
}

// The per-process runtime and state directories (see test_util.h). A test
// binary re-executed by a test (PAS_TEST_ENV_BASE inherited) keeps its
// parent's directories: it is part of the same test.
class IsolatedDirs : public ::testing::Environment {
 public:
  void SetUp() override { RestoreIsolatedEnv(); }
  void TearDown() override {
    if (!Owner() || Base().empty() || std::getenv("PAS_KEEP_TEST_DIRS")) return;
    std::error_code ec;
    std::filesystem::remove_all(Base(), ec);
  }
  static bool Owner() {
    static const bool inherited = std::getenv("PAS_TEST_ENV_BASE") != nullptr;
    return !inherited;
  }
  static const std::string& Base() {
    static const std::string base = [] {
      Owner();  // decided before the variable is set below
      if (const char* b = std::getenv("PAS_TEST_ENV_BASE"); b != nullptr && *b) return std::string(b);
      std::string tmpl = TempBase() + "/pas-test-env-XXXXXX";
      char* p = ::mkdtemp(tmpl.data());
      if (p == nullptr) return std::string();
      std::filesystem::create_directories(tmpl + "/run");
      std::filesystem::create_directories(tmpl + "/state");
      ::setenv("PAS_TEST_ENV_BASE", tmpl.c_str(), 1);
      return tmpl;
    }();
    return base;
  }
};

[[maybe_unused]] ::testing::Environment* const kIsolatedDirs =
    ::testing::AddGlobalTestEnvironment(new IsolatedDirs);

}  // namespace

const std::string& IsolatedRuntimeDir() {
  static const std::string dir = IsolatedDirs::Base() + "/run";
  return dir;
}

const std::string& IsolatedStateDir() {
  static const std::string dir = IsolatedDirs::Base() + "/state";
  return dir;
}

void RestoreIsolatedEnv() {
  if (!IsolatedDirs::Owner()) return;  // a re-executed child keeps what it inherited
  ::setenv("PAS_RUNTIME_DIR", IsolatedRuntimeDir().c_str(), 1);
  ::setenv("PAS_STATE_DIR", IsolatedStateDir().c_str(), 1);
  ::unsetenv("PAS_CONFIG");
}

ScratchDir::ScratchDir() {
  std::string tmpl = TempBase() + "/pas-test-XXXXXX";
  char* p = ::mkdtemp(tmpl.data());
  path_ = p ? p : "";
}

ScratchDir::~ScratchDir() {
  if (path_.empty() || std::getenv("PAS_KEEP_TEST_DIRS")) return;
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

namespace {

// What a process that outlived its timeout is blocked on: its threads'
// kernel wait channels and stacks, and gdb's backtrace of every thread
// (when gdb is installed), so a hang seen once can be diagnosed from the
// test's log.
std::string DescribeStuck(int pid) {
  static thread_local bool describing = false;
  if (describing) return "";
  describing = true;
  std::string d = "\n--- process " + std::to_string(pid) + " timed out; its threads:\n";
  std::error_code ec;
  const std::filesystem::path task = "/proc/" + std::to_string(pid) + "/task";
  for (const auto& t : std::filesystem::directory_iterator(task, ec)) {
    d += "thread " + t.path().filename().string() + ": wchan " + ReadFile(t.path() / "wchan") + "\n" +
         ReadFile(t.path() / "stack");
  }
  if (std::filesystem::exists("/usr/bin/gdb")) {
    ProcessResult g = Run({"/usr/bin/gdb", "-nx", "-batch", "-p", std::to_string(pid), "-ex",
                           "thread apply all bt"},
                          "", {}, 60);
    d += "--- gdb:\n" + g.out + g.err;
  }
  describing = false;
  return d;
}

}  // namespace

ProcessResult Run(const std::vector<std::string>& argv, const std::string& stdin_text,
                  const std::vector<std::string>& env, int timeout_s) {
  ScratchDir dir;
  std::string in_path;
  if (!stdin_text.empty()) {
    in_path = dir / "stdin";
    WriteFile(in_path, stdin_text);
  }
  ProcessResult r;
  int pid = Spawn(argv, env, in_path, dir / "stdout", dir / "stderr");
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  int status = 0;
  for (;;) {
    int w = ::waitpid(pid, &status, WNOHANG);
    if (w == pid) break;
    if (std::chrono::steady_clock::now() > deadline) {
      const std::string stuck = DescribeStuck(pid);
      if (!stuck.empty()) std::fprintf(stderr, "%s: %s\n", argv.empty() ? "" : argv[0].c_str(), stuck.c_str());
      ::kill(-pid, SIGKILL);
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      r.timed_out = true;
      r.err = stuck;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  r.exit_code = DecodeStatus(status);
  r.out = ReadFile(dir / "stdout");
  r.err = ReadFile(dir / "stderr") + r.err;
  return r;
}

ProcessResult RunDasdcopy(const std::vector<std::string>& args, int timeout_s) {
  std::vector<std::string> argv{"dasdcopy"};
  argv.insert(argv.end(), args.begin(), args.end());
  ProcessResult r;
  for (int attempt = 1; attempt <= 3; ++attempt) {
    r = Run(argv, "", {}, timeout_s);
    if (r.timed_out || r.exit_code <= 128 || args.empty()) return r;
    std::fprintf(stderr, "dasdcopy killed by signal %d (attempt %d): %s\n", r.exit_code - 128,
                 attempt, r.err.c_str());
    std::filesystem::remove(args.back());
  }
  return r;
}

Child::Child(const std::vector<std::string>& argv, const std::vector<std::string>& env,
             const std::string& log_prefix) {
  std::string prefix = log_prefix;
  if (prefix.empty()) {
    static int counter = 0;
    prefix = TempBase() + "/pas-child-" + std::to_string(::getpid()) + "-" + std::to_string(++counter);
  }
  out_path_ = prefix + ".out";
  err_path_ = prefix + ".err";
  pid_ = Spawn(argv, env, "", out_path_, err_path_);
}

Child::~Child() {
  if (!reaped_ && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int st;
    ::waitpid(pid_, &st, 0);
  }
}

void Child::Kill(int sig) {
  if (!reaped_ && pid_ > 0) ::kill(pid_, sig);
}

bool Child::Running() {
  if (reaped_) return false;
  int st;
  int w = ::waitpid(pid_, &st, WNOHANG);
  if (w == pid_) {
    reaped_ = true;
    status_ = DecodeStatus(st);
    return false;
  }
  return true;
}

int Child::Wait(int timeout_s) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  while (Running()) {
    if (std::chrono::steady_clock::now() > deadline) {
      Kill(SIGKILL);
      int st;
      ::waitpid(pid_, &st, 0);
      reaped_ = true;
      status_ = -1;
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return status_;
}

std::string Child::Stdout() const { return ReadFile(out_path_); }
std::string Child::Stderr() const { return ReadFile(err_path_); }

}  // namespace pas::testing
