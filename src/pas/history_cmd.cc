// `pas history [--json] [--state-dir DIR]`: the operations recorded in the
// history store (report/history.h), newest first, like FLDSPHST.
#include <cstdio>
#include <cstring>
#include <string>

#include "pas/command.h"
#include "report/history.h"
#include "report/messages.h"

namespace pas::cli {
namespace {

void Usage(FILE* out) {
  std::fprintf(out,
               "usage: pas history [--json] [--state-dir DIR]\n\n"
               "Lists every recorded operation: date and time, volume, function, status,\n"
               "condition code, units, the time of each phase, tracks copied and recopied,\n"
               "passes, the longest I/O pause and the copy rate. --json prints one JSON\n"
               "object per line (the stored records). The state directory is --state-dir,\n"
               "else $PAS_STATE_DIR, else $XDG_STATE_HOME/pas, else ~/.local/state/pas.\n");
}

int HistoryCommand(int argc, char** argv) {
  bool json = false;
  std::string state_dir;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--json") {
      json = true;
    } else if (a == "--state-dir" && i + 1 < argc) {
      state_dir = argv[++i];
    } else if (a.rfind("--state-dir=", 0) == 0) {
      state_dir = a.substr(12);
    } else if (a == "--help" || a == "-h") {
      Usage(stdout);
      return 0;
    } else {
      std::fprintf(stderr, "%s\n",
                   report::Format("PAS003E", {{"command", "history"},
                                              {"reason", "unknown argument " + a}})
                       .c_str());
      Usage(stderr);
      return 12;
    }
  }
  auto dir = report::ResolveStateDir(state_dir);
  if (!dir.ok()) {
    std::fprintf(stderr, "%s\n",
                 report::Format("PAS003E", {{"command", "history"}, {"reason", dir.status().message()}})
                     .c_str());
    return 12;
  }
  const std::string path = *dir + "/" + report::kHistoryFileName;
  auto contents = report::ReadHistory(*dir);
  if (!contents.ok()) {
    std::fprintf(stderr, "%s\n",
                 report::Format("PAS502E", {{"path", path}, {"reason", contents.status().message()}})
                     .c_str());
    return 12;
  }
  int cc = 0;
  if (contents->skipped_lines > 0) {
    std::fprintf(stderr, "%s\n",
                 report::Format("PAS501W", {{"count", std::to_string(contents->skipped_lines)},
                                            {"path", path}})
                     .c_str());
    cc = 4;
  }
  if (json) {
    for (const auto& r : contents->records) {
      std::printf("%s\n", report::HistoryRecordJson(r).c_str());
    }
    return cc;
  }
  if (contents->records.empty()) {
    std::printf("%s\n", report::Format("PAS500I", {{"path", path}}).c_str());
    return cc;
  }
  std::string table = report::FormatHistoryTable(contents->records);
  std::fwrite(table.data(), 1, table.size(), stdout);
  return cc;
}

}  // namespace

PAS_COMMAND("history", "list recorded operations (like FLDSPHST)", HistoryCommand);

}  // namespace pas::cli
