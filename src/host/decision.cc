#include "host/decision.h"

#include "base/control_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "host/runtime.h"

namespace pas::host {

const char* DecisionName(Decision d) {
  switch (d) {
    case Decision::kNone: return "NONE";
    case Decision::kSwap: return "SWAP";
    case Decision::kSource: return "SOURCE";
  }
  return "?";
}

Result<Decision> ReadDecision(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
  if (!fd.valid()) {
    if (errno == ENOENT) return Decision::kNone;
    if (errno == ELOOP)
      return Status::IoError("PAS191E decision record " + path + ": PAS285E CONTROL FILE " + path +
                             " REFUSED: it is a symbolic link");
    return Status::FromErrno("PAS191E decision record " + path);
  }
  PAS_RETURN_IF_ERROR(CheckControlFile(fd.get(), path).WithContext("PAS191E decision record " + path));
  char buf[64];
  ssize_t n = ::pread(fd.get(), buf, sizeof buf, 0);
  if (n < 0) return Status::FromErrno("PAS191E decision record " + path);
  std::string text(buf, static_cast<size_t>(n));
  std::string first = text.substr(0, text.find('\n'));
  if (first == "SWAP") return Decision::kSwap;
  if (first == "SOURCE") return Decision::kSource;
  return Status::Corruption("PAS191E decision record " + path + ": unknown contents '" + first + "'");
}

namespace {

Status SyncDir(const std::string& path) {
  auto slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return Status::FromErrno("open directory " + dir);
  if (::fsync(fd.get()) != 0) return Status::FromErrno("fsync directory " + dir);
  return Status::Ok();
}

}  // namespace

// The temporary file is fully written and fsynced before link(2) makes it
// visible under the final name, so a reader never sees a partial record;
// link fails with EEXIST when any decision exists, so the first one wins.
Result<Decision> Decide(const std::string& path, Decision want) {
  if (want == Decision::kNone) return Status::InvalidArgument("Decide: want must be SWAP or SOURCE");
  std::string tmp = path + ".tmp." + std::to_string(::getpid()) + "." +
                    std::to_string(reinterpret_cast<uintptr_t>(&want) & 0xffff);
  {
    ::unlink(tmp.c_str());  // never write through something planted under this name
    Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
    if (fd.valid()) (void)::fchmod(fd.get(), 0644);
    if (!fd.valid()) return Status::FromErrno("PAS191E decision record " + tmp);
    std::string text = std::string(DecisionName(want)) + "\n";
    if (::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size()) ||
        ::fsync(fd.get()) != 0) {
      Status s = Status::FromErrno("PAS191E decision record " + tmp);
      ::unlink(tmp.c_str());
      return s;
    }
  }
  int rc = ::link(tmp.c_str(), path.c_str());
  int err = errno;
  ::unlink(tmp.c_str());
  if (rc != 0 && err != EEXIST) return Status::FromErrno("PAS191E decision record " + path, err);
  PAS_RETURN_IF_ERROR(SyncDir(path));
  if (rc == 0) return want;
  return ReadDecision(path);
}

}  // namespace pas::host
