// ParseDeck: the control-statement language (doc/statements.md) -> Plan.
//
// The parser reads the whole deck, reports EVERY error and warning it finds
// (not only the first), each with its message ID (PAS3nns, in the message
// catalogue report/messages.h), file:line:column, the statement line with a
// caret under the fault, and what was expected. It never throws and never
// touches any device. Pure function of its input: thread-safe.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "statements/plan.h"

namespace pas::statements {

// Limits on the input (anything bigger is rejected with PAS302E).
inline constexpr size_t kMaxDeckBytes = 1 << 20;   // 1 MiB
inline constexpr size_t kMaxLineBytes = 4096;
inline constexpr size_t kMaxStatementBytes = 32768;  // a statement with its continuations

struct Diagnostic {
  std::string id;     // "PAS310E"
  char severity = 'E';  // 'W' (condition code 4) or 'E' (condition code 12)
  Location where;     // file, 1-based line and column (column 0: the whole line/deck)
  std::string message;   // the catalogue text with its values filled in
  std::string expected;  // what would have been valid ("" if nothing to add)
  std::string source_line;  // the line as read ("" when not about one line)
  std::vector<std::pair<std::string, std::string>> args;  // placeholder values of `message`

  // The full text, several lines:
  //   deck.txt:3:9: PAS311E UNKNOWN OPERAND MAXTASK ON SWAP STATEMENT
  //     SWAP TYPE=FULL,MAXTASK=3
  //                    ^
  //     expected: one of TYPE, MAXTASKS, LARGERSIZE, ...
  std::string Format() const;
};

struct ParseResult {
  std::optional<Plan> plan;              // set when no error (warnings allowed)
  std::vector<Diagnostic> diagnostics;   // errors and warnings, in deck order
  std::vector<std::string> echo;         // the deck's lines as read, for the listing
  int condition_code = 0;                // 0, 4 (warnings only) or 12 (errors)

  bool ok() const { return plan.has_value(); }
};

// Parses `text`; `source_name` names it in diagnostics ("deck.txt", "<stdin>").
ParseResult ParseDeck(std::string_view text, const std::string& source_name);

// The statement messages the parser can issue, {id, text with {placeholders}};
// the catalogue (report/messages.h) must hold the same text (a test checks).
struct StatementMessage {
  std::string_view id;
  std::string_view text;
};
std::span<const StatementMessage> StatementMessages();

}  // namespace pas::statements
