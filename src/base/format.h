// Small text formatting shared by the components that print figures.
#pragma once

#include <cmath>
#include <cstdio>
#include <string>

namespace pas {

// `v` with `digits` decimals ("12.35"); a value that is not finite prints
// as 0 (a rate over no time is no rate).
inline std::string FormatFixed(double v, int digits) {
  if (!std::isfinite(v)) v = 0;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

}  // namespace pas
