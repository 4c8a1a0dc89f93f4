#include "statements/plan.h"

#include <cctype>

namespace pas::statements {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

const char* FunctionName(Function f) {
  switch (f) {
    case Function::kSwap: return "SWAP";
    case Function::kSwapDump: return "SWAPDUMP";
    case Function::kSimSwap: return "SIMSWAP";
    case Function::kSimSwapMon: return "SIMSWAPMON";
    case Function::kMonitor: return "MONITOR";
  }
  return "?";
}

const char* NonRespondingName(NonResponding n) {
  switch (n) {
    case NonResponding::kRetry: return "RETRY";
    case NonResponding::kFail: return "FAIL";
    case NonResponding::kMsg: return "MSG";
  }
  return "?";
}

bool Plan::IsExcluded(std::string_view system) const {
  for (const Exclude& e : excludes) {
    if (e.system.size() != system.size()) continue;
    bool same = true;
    for (size_t i = 0; i < system.size(); ++i) {
      if (std::toupper(static_cast<unsigned char>(system[i])) != e.system[i]) same = false;
    }
    if (same) return true;
  }
  return false;
}

bool IsValidUnitPattern(std::string_view pattern) {
  if (pattern.size() != 4) return false;
  for (char c : pattern) {
    if (c != '*' && HexValue(c) < 0) return false;
  }
  return true;
}

std::optional<uint16_t> ResolveSwapUnit(std::string_view pattern, uint16_t source_unit) {
  if (!IsValidUnitPattern(pattern)) return std::nullopt;
  uint16_t unit = 0;
  for (int i = 0; i < 4; ++i) {
    int shift = (3 - i) * 4;
    int digit = pattern[i] == '*' ? (source_unit >> shift) & 0xF : HexValue(pattern[i]);
    unit = static_cast<uint16_t>(unit | (digit << shift));
  }
  return unit;
}

bool UnitMatches(std::string_view monitor_pattern, uint16_t unit) {
  if (!IsValidUnitPattern(monitor_pattern)) return false;
  for (int i = 0; i < 4; ++i) {
    if (monitor_pattern[i] == '*') continue;
    int digit = (unit >> ((3 - i) * 4)) & 0xF;
    if (HexValue(monitor_pattern[i]) != digit) return false;
  }
  return true;
}

}  // namespace pas::statements
