// `pas messages [--markdown]`: the message catalogue; --markdown prints
// doc/messages.md exactly.
#include <cstdio>
#include <cstring>
#include <string>

#include "pas/command.h"
#include "report/messages.h"

namespace pas::cli {
namespace {

int MessagesCommand(int argc, char** argv) {
  bool markdown = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--markdown") == 0) {
      markdown = true;
    } else if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
      std::printf("usage: pas messages [--markdown]\n\n"
                  "Lists every PAS message ID with its text; --markdown prints the\n"
                  "reference document doc/messages.md.\n");
      return 0;
    } else {
      std::fprintf(stderr, "%s\n",
                   report::Format("PAS003E", {{"command", "messages"},
                                              {"reason", std::string("unknown argument ") + argv[i]}})
                       .c_str());
      return 12;
    }
  }
  if (markdown) {
    std::string md = report::CatalogueMarkdown();
    std::fwrite(md.data(), 1, md.size(), stdout);
    return 0;
  }
  for (const report::MessageDef& m : report::Catalogue()) {
    std::printf("%.*s %.*s\n", static_cast<int>(m.id.size()), m.id.data(),
                static_cast<int>(m.text.size()), m.text.data());
  }
  return 0;
}

}  // namespace

PAS_COMMAND("messages", "list the message catalogue (--markdown: doc/messages.md)", MessagesCommand);

}  // namespace pas::cli
