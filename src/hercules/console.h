// The console of a running Hercules, reached over its HTTP server
// (`HTTPPORT nnnn NOAUTH` in the configuration): one console command per
// request, `GET /cgi-bin/tasks/cmd?cmd=...`, the reply page holding the
// command's output. This is how pas drives a Hercules started with `-d`
// (daemon mode reads no commands from standard input).
//
// A HerculesConsole is a value (host and port); every call opens its own
// connection, so one object may be used from several threads. Calls block
// for at most the timeout given.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"
#include "hercules/guest.h"

namespace pas::hercules {

class HerculesConsole {
 public:
  explicit HerculesConsole(int port, std::string host = "127.0.0.1") : port_(port), host_(std::move(host)) {}

  // Runs one console command and returns the text of the reply page
  // (HTML tags removed, entities decoded). IoError when Hercules does not
  // answer (not started yet, gone, wrong port), TimedOut after timeout_ms.
  Result<std::string> Command(std::string_view command, int timeout_ms = 5000) const;

  // `r 300.30`, decoded; errors as Command, InvalidArgument when the reply
  // holds no storage display.
  Result<GuestCounters> ReadCounters() const;
  // `r 200.20`, decoded.
  Result<GuestParams> ReadParams() const;
  // Sets the guest's longest-write counter to 0 (`r 31C=00000000`).
  Status ResetLongest() const;

  int port() const { return port_; }

 private:
  int port_;
  std::string host_;
};

// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0 and
// released), for a new Hercules's HTTPPORT. IoError if no socket can be had.
Result<int> PickFreePort();

}  // namespace pas::hercules
