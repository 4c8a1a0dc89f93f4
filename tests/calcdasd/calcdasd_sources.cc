// The calcdasd executable's sources are not a library: the report logic is
// compiled into this test program from its source file so the tests can
// call BuildReport and FormatReport directly (main.cc stays out).
#include "calcdasd/calcdasd.cc"  // NOLINT(bugprone-suspicious-include)
