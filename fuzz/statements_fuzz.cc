// Fuzz target: the control-statement parser (src/statements/parser.h).
// Any bytes are a deck. Checked beyond "no crash, leak or UB": the plan is
// set exactly when the condition code is below 12, every diagnostic has a
// PAS3nn ID of its severity, and formats without failing.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "statements/parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  pas::statements::ParseResult r = pas::statements::ParseDeck(text, "fuzz.deck");
  if (r.ok() != (r.condition_code < 12)) std::abort();
  if (r.condition_code != 0 && r.condition_code != 4 && r.condition_code != 12) std::abort();
  int worst = 0;
  for (const auto& d : r.diagnostics) {
    if (d.id.size() != 7 || d.id.compare(0, 4, "PAS3") != 0) std::abort();
    if (d.id.back() != d.severity) std::abort();
    worst = std::max(worst, d.severity == 'E' ? 12 : 4);
    if (d.Format().find(d.id) == std::string::npos) std::abort();
  }
  if (worst != r.condition_code) std::abort();
  return 0;
}
