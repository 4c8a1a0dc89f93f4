// pas cancel: stops a running swap job from another terminal, as SIGINT or
// SIGTERM to `pas run` does: the volume (or every volume of the job) fails
// and every system goes back to the source, unless it already committed.
//
//   pas cancel VOLSER [--state-dir DIR]
//   pas cancel --job PID [--state-dir DIR]
//
// The request is a file in STATEDIR/cancel (VOLSER, or JOB-PID), which the
// job polls between its steps (doc/swap-protocol.md, "Cancelling a job");
// it is created exclusively, without following a symlink.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "pas/command.h"
#include "report/history.h"
#include "report/messages.h"

namespace pas::cli {
namespace {

int Fail(const std::string& reason) {
  std::fprintf(stderr, "%s\n", report::Format("PAS003E", {{"command", "cancel"}, {"reason", reason}}).c_str());
  return 12;
}

bool ValidVolser(const std::string& v) {
  if (v.empty() || v.size() > 6) return false;
  for (char c : v)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '$' && c != '#' && c != '@') return false;
  return true;
}

int CancelCommand(int argc, char** argv) {
  std::string volser, job, state_dir;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::printf("usage: pas cancel VOLSER [--state-dir DIR]\n       pas cancel --job PID [--state-dir DIR]\n");
      return 0;
    }
    if ((a == "--job" || a == "--state-dir") && i + 1 < argc) {
      (a == "--job" ? job : state_dir) = argv[++i];
    } else if (!a.empty() && a[0] != '-' && volser.empty()) {
      volser = a;
      for (char& c : volser) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    } else {
      return Fail("unexpected argument " + a);
    }
  }
  if (volser.empty() == job.empty()) return Fail("name one volume (VOLSER) or one job (--job PID)");
  if (!volser.empty() && !ValidVolser(volser)) return Fail("invalid volume serial " + volser);
  if (!job.empty() && (job.find_first_not_of("0123456789") != std::string::npos || job.size() > 9))
    return Fail("invalid job (the process id of pas run) " + job);
  auto dir = report::ResolveStateDir(state_dir);
  if (!dir.ok()) return Fail(dir.status().message());
  const std::string cancel_dir = *dir + "/cancel";
  if (::mkdir(dir->c_str(), 0700) != 0 && errno != EEXIST) return Fail(*dir + ": " + std::strerror(errno));
  if (::mkdir(cancel_dir.c_str(), 0700) != 0 && errno != EEXIST)
    return Fail(cancel_dir + ": " + std::strerror(errno));
  const std::string name = volser.empty() ? "JOB-" + job : volser;
  const std::string path = cancel_dir + "/" + name;
  ::unlink(path.c_str());  // an older request; never followed (unlink removes a symlink itself)
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return Fail(path + ": " + std::strerror(errno));
  ::close(fd);
  std::printf("%s\n", report::Format("PAS283I", {{"what", volser.empty() ? "JOB " + job : "VOL=" + volser},
                                                 {"path", path}})
                          .c_str());
  return 0;
}

}  // namespace

PAS_COMMAND("cancel", "cancel a running swap job or one of its volumes", CancelCommand);

}  // namespace pas::cli
