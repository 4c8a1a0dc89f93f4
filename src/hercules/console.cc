#include "hercules/console.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>

namespace pas::hercules {
namespace {

std::string UrlEncode(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '.' || c == '-' || c == '_') {
      out += char(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

// The page without tags; &lt; &gt; &amp; &quot; decoded.
std::string PageText(std::string_view html) {
  std::string out;
  bool tag = false;
  for (size_t i = 0; i < html.size(); ++i) {
    char c = html[i];
    if (tag) {
      if (c == '>') tag = false;
      continue;
    }
    if (c == '<') {
      tag = true;
      continue;
    }
    if (c == '&') {
      static const std::pair<std::string_view, char> kEntities[] = {
          {"&lt;", '<'}, {"&gt;", '>'}, {"&amp;", '&'}, {"&quot;", '"'}, {"&nbsp;", ' '}};
      bool done = false;
      for (const auto& [name, ch] : kEntities)
        if (html.substr(i, name.size()) == name) {
          out += ch;
          i += name.size() - 1;
          done = true;
          break;
        }
      if (done) continue;
    }
    out += c;
  }
  return out;
}

}  // namespace

Result<std::string> HerculesConsole::Command(std::string_view command, int timeout_ms) const {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  auto left_ms = [&] {
    auto d = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    return int(std::max<int64_t>(0, d.count()));
  };
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return Status::FromErrno("socket");
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(uint16_t(port_));
  if (::inet_pton(AF_INET, host_.c_str(), &sa.sin_addr) != 1)
    return Status::InvalidArgument("Hercules console: bad address " + host_);
  const std::string where = "Hercules console " + host_ + ":" + std::to_string(port_);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    if (errno != EINPROGRESS) return Status::FromErrno("connect to " + where);
    pollfd p{fd, POLLOUT, 0};
    if (::poll(&p, 1, left_ms()) <= 0) return Status::TimedOut("connect to " + where);
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) return Status::FromErrno("connect to " + where, err);
  }
  const std::string request = "GET /cgi-bin/tasks/cmd?cmd=" + UrlEncode(command) +
                              " HTTP/1.0\r\nHost: " + host_ + "\r\nConnection: close\r\n\r\n";
  size_t sent = 0;
  while (sent < request.size()) {
    ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) {
        pollfd p{fd, POLLOUT, 0};
        if (::poll(&p, 1, left_ms()) <= 0) return Status::TimedOut("send to " + where);
        continue;
      }
      return Status::FromErrno("send to " + where);
    }
    sent += size_t(n);
  }
  std::string reply;
  char buf[8192];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n > 0) {
      reply.append(buf, size_t(n));
      continue;
    }
    if (n == 0) break;
    if (errno == EINTR) continue;
    if (errno != EAGAIN) return Status::FromErrno("receive from " + where);
    pollfd p{fd, POLLIN, 0};
    int r = ::poll(&p, 1, left_ms());
    if (r == 0) return Status::TimedOut("reply of " + where + " to '" + std::string(command) + "'");
    if (r < 0 && errno != EINTR) return Status::FromErrno("poll " + where);
  }
  if (reply.rfind("HTTP/", 0) != 0) return Status::IoError(where + ": not an HTTP reply");
  // Hercules ends its header lines with a bare LF.
  size_t body = reply.find("\n\n"), crlf = reply.find("\r\n\r\n");
  size_t skip = 2;
  if (crlf != std::string::npos && (body == std::string::npos || crlf < body)) {
    body = crlf;
    skip = 4;
  }
  return PageText(body == std::string::npos ? std::string_view() : std::string_view(reply).substr(body + skip));
}

Result<GuestCounters> HerculesConsole::ReadCounters() const {
  char cmd[32];
  std::snprintf(cmd, sizeof cmd, "r %X.%X", kCounterAddress, kCounterLength);
  PAS_ASSIGN_OR_RETURN(std::string text, Command(cmd));
  PAS_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, ParseStorageDisplay(text, kCounterAddress, kCounterLength));
  return DecodeCounters(bytes);
}

Result<GuestParams> HerculesConsole::ReadParams() const {
  char cmd[32];
  std::snprintf(cmd, sizeof cmd, "r %X.%X", kParamAddress, kParamLength);
  PAS_ASSIGN_OR_RETURN(std::string text, Command(cmd));
  PAS_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, ParseStorageDisplay(text, kParamAddress, kParamLength));
  return DecodeParams(bytes);
}

Status HerculesConsole::ResetLongest() const {
  char cmd[32];
  std::snprintf(cmd, sizeof cmd, "r %X=00000000", kLongestAddress);
  return Command(cmd).status();
}

Result<int> PickFreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::FromErrno("socket");
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof sa;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) != 0) {
    Status s = Status::FromErrno("bind a free port");
    ::close(fd);
    return s;
  }
  ::close(fd);
  return int(ntohs(sa.sin_port));
}

}  // namespace pas::hercules
