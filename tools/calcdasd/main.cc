// calcdasd: the capacity report for sizing a migration. Usage and output:
// doc/calcdasd.md; `calcdasd (HELP` prints the synopsis.
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "calcdasd/calcdasd.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  std::string out, err;
  int rc = 12;
  try {
    rc = pas::calcdasd::RunCalcdasd(args, &out, &err);
  } catch (const std::exception& e) {
    err += std::string("PAS411E CALCDASD FAILED: ") + e.what() + "\n";
    rc = 12;
  } catch (...) {
    err += "PAS411E CALCDASD FAILED: unexpected error\n";
    rc = 12;
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
  std::fwrite(err.data(), 1, err.size(), stderr);
  return rc;
}
