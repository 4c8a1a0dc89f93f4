// The message catalogue: every operator-facing message of pas, in one table.
//
// Each message has a stable ID `PASnnns` (nnn the number, s the severity:
// I information, W warning, E error, S severe), a text with named
// placeholders (`{volser}`), an explanation and a user action. The seed's
// wording is kept where the seed has it (PAS233I, PAS241I, PAS316E).
// doc/messages.md is generated from this table (`pas messages --markdown`)
// and a test fails when the two differ.
//
// Number ranges: PAS001-099 command line, PAS100-149 volumes (ckd),
// PAS150-199 configuration and systems, PAS200-299 swap and monitor,
// PAS300-349 statements and MOUNT resolution, PAS400-449 CALCDASD,
// PAS500+ history and miscellaneous.
//
// The table is constant data; every function here is thread-safe.
#pragma once

#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace pas::report {

enum class Severity : char { kInfo = 'I', kWarning = 'W', kError = 'E', kSevere = 'S' };

struct MessageDef {
  std::string_view id;           // "PAS233I"
  std::string_view text;         // "{system} (SERIAL# {serial}) ACKNOWLEDGES ..."
  std::string_view explanation;  // what happened
  std::string_view action;       // what the user should do
  Severity severity() const { return static_cast<Severity>(id.back()); }
};

// All messages, sorted by ID, IDs unique.
std::span<const MessageDef> Catalogue();
// The message with this ID, or nullptr.
const MessageDef* FindMessage(std::string_view id);

// One placeholder value: {"volser", "VM1887"}.
struct Arg {
  std::string_view name;
  std::string value;
};

// "PAS241I PAS SUCCESSFULLY COMPLETED SWAP OF VOL=VM1887 TO UNIT=B887":
// the ID, a space, and the text with each {name} replaced by its value.
// A placeholder without a value is left as written ("{volser}") so the gap
// shows; an unknown ID gives "PAS999S UNDEFINED MESSAGE <id>". Never throws.
std::string Format(std::string_view id, std::initializer_list<Arg> args);
std::string Format(std::string_view id, std::span<const std::pair<std::string, std::string>> args);
// The text alone (no ID) with placeholders filled in the same way.
std::string FormatText(std::string_view text, std::span<const std::pair<std::string, std::string>> args);

// doc/messages.md, generated from the catalogue.
std::string CatalogueMarkdown();

}  // namespace pas::report
