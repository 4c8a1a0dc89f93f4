// `pas exec --config FILE -- COMMAND [ARGS...]`: runs any program as a
// process of the system FILE describes, with the pas intercept
// (libpas-intercept.so) preloaded into it, so every descriptor it opens on
// an image of one of the system's units does its I/O through the unit
// control block (doc/host-io.md, "The preload intercept"). The exit status
// is the program's; pas's own errors end with 12 and a message.
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "host/config.h"
#include "host/runtime.h"
#include "pas/command.h"
#include "pas/system_arg.h"
#include "report/history.h"

#ifndef PAS_INSTALL_LIBDIR
#define PAS_INSTALL_LIBDIR "lib"
#endif

namespace pas::cli {
namespace {

constexpr char kLibraryName[] = "libpas-intercept.so";

const char kUsage[] =
    "usage: pas exec [--config FILE] [--] COMMAND [ARGS...]\n"
    "  Runs COMMAND as a process of the system FILE describes (default $PAS_CONFIG),\n"
    "  with the pas intercept preloaded: its I/O on the system's images goes through\n"
    "  the units' control blocks and follows a swap. The exit status is COMMAND's.\n"
    "  The intercept library: $PAS_INTERCEPT_LIB, else libpas-intercept.so beside the\n"
    "  pas executable, else ../" PAS_INSTALL_LIBDIR "/pas/ or ../lib/pas/ relative to it.\n";

bool IsFile(const std::string& p) {
  std::error_code ec;
  return std::filesystem::is_regular_file(p, ec);
}

// Where the library is: $PAS_INTERCEPT_LIB, else next to the executable
// (the build tree), else the install tree relative to the executable.
std::string FindLibrary(std::vector<std::string>* tried) {
  if (const char* env = std::getenv("PAS_INTERCEPT_LIB"); env != nullptr && *env != '\0') {
    tried->push_back(env);
    return IsFile(env) ? std::filesystem::absolute(env).string() : "";
  }
  std::error_code ec;
  std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return "";
  const std::filesystem::path dir = exe.parent_path();
  for (const std::filesystem::path& p :
       {dir / kLibraryName, dir / ".." / PAS_INSTALL_LIBDIR / "pas" / kLibraryName,
        dir / ".." / "lib" / "pas" / kLibraryName}) {
    const std::string s = p.lexically_normal().string();
    tried->push_back(s);
    if (IsFile(s)) return s;
  }
  return "";
}

int ExecCommand(int argc, char** argv) {
  std::string config_path;
  int i = 1;
  for (; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--") {
      ++i;
      break;
    }
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (a == "--config" && i + 1 < argc) {
      config_path = argv[++i];
    } else if (a.rfind("--config=", 0) == 0) {
      config_path = a.substr(9);
    } else if (a.rfind("-", 0) == 0) {
      std::fprintf(stderr, "PAS003E INVALID ARGUMENTS FOR exec: unknown option %s\n%s", a.c_str(), kUsage);
      return 12;
    } else {
      break;
    }
  }
  if (i >= argc) {
    std::fprintf(stderr, "PAS003E INVALID ARGUMENTS FOR exec: no command to run\n%s", kUsage);
    return 12;
  }
  auto config = LoadConfigOrReport(config_path);
  if (!config) return 12;
  std::vector<std::string> tried;
  const std::string library = FindLibrary(&tried);
  if (library.empty()) {
    std::string where;
    for (const auto& t : tried) where += (where.empty() ? "" : ", ") + t;
    std::fprintf(stderr, "PAS210E THE PAS INTERCEPT LIBRARY %s WAS NOT FOUND (TRIED %s)\n", kLibraryName,
                 where.c_str());
    return 12;
  }
  // Attaching here reports a unit table that cannot be used before the
  // program starts, and follows volumes moved while nothing ran.
  {
    auto system = AttachOrReport(*config);
    if (!system) return 12;
  }
  std::error_code ec;
  const std::string abs_config = std::filesystem::absolute(config->path, ec).lexically_normal().string();
  auto runtime = host::EnsureRuntimeDir();
  if (!runtime.ok()) {
    std::fprintf(stderr, "PAS171E %s\n", runtime.status().message().c_str());
    return 12;
  }
  ::setenv("PAS_EXEC_CONFIG", abs_config.c_str(), 1);
  ::setenv("PAS_CONFIG", abs_config.c_str(), 1);
  ::setenv("PAS_RUNTIME_DIR", std::filesystem::absolute(*runtime, ec).string().c_str(), 1);
  if (auto state = report::ResolveStateDir(""); state.ok())
    ::setenv("PAS_STATE_DIR", std::filesystem::absolute(*state, ec).string().c_str(), 1);
  std::string preload = library;
  if (const char* old = std::getenv("LD_PRELOAD"); old != nullptr && *old != '\0') {
    preload = std::string(old) + ":" + library;
  }
  ::setenv("LD_PRELOAD", preload.c_str(), 1);
  std::fflush(nullptr);
  ::execvp(argv[i], argv + i);
  const int err = errno;
  std::fprintf(stderr, "PAS211E CANNOT RUN %s: %s\n", argv[i], std::strerror(err));
  return 12;
}

}  // namespace

PAS_COMMAND("exec", "run a program as a process of the system, its image I/O through the intercept",
            ExecCommand);

}  // namespace pas::cli
