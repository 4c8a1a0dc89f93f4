// Fuzz target: the system configuration parser (src/host/config.h).
// Checked beyond "no crash, leak or UB": an error names the file and its
// message ID; a parsed configuration has a name and no duplicate unit.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>

#include "host/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto r = pas::host::ParseSystemConfig(text, "/fuzz/system.cnf");
  if (!r.ok()) {
    const std::string& m = r.status().message();
    if (m.find("/fuzz/system.cnf") == std::string::npos) std::abort();
    if (m.find("PAS1") == std::string::npos) std::abort();
    return 0;
  }
  if (r->name.empty()) std::abort();
  std::set<uint16_t> seen;
  for (const auto& u : r->units) {
    if (!seen.insert(u.devnum).second) std::abort();
    if (r->FindUnit(u.devnum) != &u) std::abort();
    if (u.image_path.empty() || u.image_path[0] != '/') std::abort();
    for (const auto& a : u.allocs) {
      if (a.first_cyl > a.last_cyl) std::abort();
    }
  }
  return 0;
}
