#include "base/fault_point.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <string>

namespace pas {
namespace {

struct FaultConfig {
  std::string name;
  long hit = 1;
  bool stop = false;  // ":stop": SIGSTOP instead of SIGKILL (a test acts, then SIGCONTs)
  std::atomic<long> seen{0};
};

FaultConfig* Config() {
  static FaultConfig* config = [] {
    const char* env = std::getenv("PAS_FAULT_POINT");
    if (env == nullptr || *env == '\0') return static_cast<FaultConfig*>(nullptr);
    auto* c = new FaultConfig;
    std::string spec(env);
    auto colon = spec.find(':');
    c->name = spec.substr(0, colon);
    if (colon != std::string::npos) c->hit = std::max(1L, std::atol(spec.c_str() + colon + 1));
    c->stop = spec.size() > 5 && spec.compare(spec.size() - 5, 5, ":stop") == 0;
    return c;
  }();
  return config;
}

}  // namespace

void FaultPoint(std::string_view name) {
  FaultConfig* c = Config();
  if (c == nullptr || name != c->name) return;
  if (c->seen.fetch_add(1) + 1 == c->hit) {
    if (c->stop) {
      // Directed at this thread (raise = tgkill): the calling thread
      // itself starts the group stop before it returns to user space, so
      // nothing after the fault point runs until SIGCONT. A process-directed
      // kill(getpid()) is taken by another thread (the main one), and the
      // caller went on past the fault point until that stop reached it.
      ::raise(SIGSTOP);
      return;
    }
    ::kill(::getpid(), SIGKILL);
    for (;;) ::pause();
  }
}

}  // namespace pas
