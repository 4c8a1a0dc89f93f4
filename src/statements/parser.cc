// The statement parser. Language reference: doc/statements.md.
#include "statements/parser.h"

#include <algorithm>
#include <cctype>
#include <map>

namespace pas::statements {
namespace {

constexpr StatementMessage kMessages[] = {
    {"PAS301E", "INPUT IS NOT TEXT: BYTE X'{byte}'"},
    {"PAS302E", "INPUT TOO LARGE: {what} EXCEEDS {limit} BYTES"},
    {"PAS303E", "UNKNOWN STATEMENT {statement}"},
    {"PAS304E", "UNKNOWN OPERAND {operand} ON {statement} STATEMENT"},
    {"PAS305E", "INVALID VALUE {value} FOR {operand}"},
    {"PAS306E", "VALUE {value} OF {operand} IS OUT OF RANGE {min}-{max}"},
    {"PAS307E", "{statement} STATEMENT REQUIRES TYPE={type}"},
    {"PAS308E", "{statement} STATEMENT BEFORE ANY FUNCTION STATEMENT"},
    {"PAS309E", "SECOND FUNCTION STATEMENT {statement}: ONLY ONE IS ALLOWED (FIRST AT LINE {first_line})"},
    {"PAS310E", "DUPLICATE VOL={volser} (FIRST AT LINE {first_line})"},
    {"PAS311E", "DUPLICATE SWAPUNIT={unit} (FIRST AT LINE {first_line})"},
    {"PAS312E", "SWAPUNIT={unit} IS NOT 4 HEX DIGITS"},
    {"PAS313E", "SOURCE AND TARGET OF VOL={volser} ARE THE SAME UNIT={unit}"},
    {"PAS314E", "UNTERMINATED CONTINUATION: {statement} STATEMENT ENDS WITH A COMMA AT END OF INPUT"},
    {"PAS315E", "{statement} STATEMENT HAS NO MOUNT STATEMENT"},
    {"PAS317E", "MISSING OPERAND {operand} ON {statement} STATEMENT"},
    {"PAS318E", "DUPLICATE OPERAND {operand} ON {statement} STATEMENT"},
    {"PAS319E", "SYNTAX ERROR: {problem}"},
    {"PAS320W", "OPERAND {operand} HAS NO MEANING ON THIS PLATFORM AND IS IGNORED"},
    {"PAS321E", "NO FUNCTION STATEMENT IN INPUT"},
    {"PAS322E", "OPERAND {operand} IS NOT VALID ON {statement} UNDER {function}"},
    {"PAS323E", "INVALID VOLSER {volser}"},
};

using Args = std::vector<std::pair<std::string, std::string>>;

std::string Fill(std::string_view text, const Args& args) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] == '{') {
      size_t close = text.find('}', i);
      std::string_view name = text.substr(i + 1, close - i - 1);
      bool found = false;
      for (const auto& [k, v] : args) {
        if (k == name) {
          out += v;
          found = true;
          break;
        }
      }
      if (!found) out.append(text.substr(i, close - i + 1));
      i = close + 1;
    } else {
      out += text[i++];
    }
  }
  return out;
}

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// One character of a statement with where it was written.
struct Char {
  char c;
  int line;
  int column;
};

struct Value {
  std::string text;  // upper case
  int line = 0;
  int column = 0;
};

struct Operand {
  std::string keyword;  // upper case, as written
  int line = 0;
  int column = 0;
  std::vector<Value> values;
  bool is_list = false;
  std::string ValueText() const {
    if (!is_list) return values.empty() ? "" : values[0].text;
    std::string s = "(";
    for (size_t i = 0; i < values.size(); ++i) s += (i ? "," : "") + values[i].text;
    return s + ")";
  }
};

struct Statement {
  std::string name;  // upper case
  int line = 0;
  int column = 0;
  std::vector<Operand> operands;
  bool syntax_ok = true;
};

enum class OperandKind {
  kType, kMaxTasks, kLargerSize, kNonResponding, kCheckTarget, kStopAfter,
  kDynMon, kDuration, kVol, kSwapUnit, kSystem, kIgnored,
};

struct OperandName {
  std::string_view name;
  OperandKind kind;
};

// Accepted spellings, abbreviations included (doc/statements.md).
constexpr OperandName kOperandNames[] = {
    {"TYPE", OperandKind::kType},
    {"MAXTASKS", OperandKind::kMaxTasks},
    {"MAXT", OperandKind::kMaxTasks},
    {"LARGERSIZE", OperandKind::kLargerSize},
    {"NONRESPONDING", OperandKind::kNonResponding},
    {"NONRESP", OperandKind::kNonResponding},
    {"CHECKTARGET", OperandKind::kCheckTarget},
    {"STOPAFTER", OperandKind::kStopAfter},
    {"DYNMON", OperandKind::kDynMon},
    {"DURATION", OperandKind::kDuration},
    {"VOL", OperandKind::kVol},
    {"VOLSER", OperandKind::kVol},
    {"SWAPUNIT", OperandKind::kSwapUnit},
    {"SWAPU", OperandKind::kSwapUnit},
    {"SU", OperandKind::kSwapUnit},
    {"SYSTEM", OperandKind::kSystem},
    {"SYS", OperandKind::kSystem},
    // FDRPAS operands without meaning here: accepted with PAS320W.
    {"ALLOWPAV", OperandKind::kIgnored},
    {"ALLOWZHPF", OperandKind::kIgnored},
    {"BUFNO", OperandKind::kIgnored},
    {"CANCELPROT", OperandKind::kIgnored},
    {"CONFMESS", OperandKind::kIgnored},
    {"LOGMESS", OperandKind::kIgnored},
    {"PAGE", OperandKind::kIgnored},
    {"SRVCLASS", OperandKind::kIgnored},
    {"WTOR", OperandKind::kIgnored},
};

std::optional<OperandKind> LookupOperand(const std::string& kw) {
  for (const OperandName& n : kOperandNames) {
    if (n.name == kw) return n.kind;
  }
  return std::nullopt;
}

std::optional<Function> LookupFunction(const std::string& name) {
  if (name == "SWAP") return Function::kSwap;
  if (name == "SWAPDUMP") return Function::kSwapDump;
  if (name == "SIMSWAP") return Function::kSimSwap;
  if (name == "SIMSWAPMON") return Function::kSimSwapMon;
  if (name == "MONITOR") return Function::kMonitor;
  return std::nullopt;
}

bool IsNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '@' || c == '#' || c == '$';
}

bool ValidVolser(const std::string& v) {
  if (v.empty() || v.size() > 6) return false;
  return std::all_of(v.begin(), v.end(), IsNameChar);
}

bool ValidSystemName(const std::string& v) {
  if (v.empty() || v.size() > 8) return false;
  return std::all_of(v.begin(), v.end(), [](char c) { return IsNameChar(c) || c == '-' || c == '_'; });
}

class Parser {
 public:
  Parser(std::string_view text, const std::string& source) : text_(text), source_(source) {}

  ParseResult Run();

 private:
  void Diag(std::string_view id, int line, int column, Args args, std::string expected = {});
  bool CheckInput();
  void SplitLines();
  void AssembleStatements();
  void ParseStatement(const std::vector<Char>& chars);
  void Apply(const Statement& st);
  void ApplyFunctionOperands(const Statement& st, Function f, bool record);
  void ApplyMount(const Statement& st);
  void ApplyExclude(const Statement& st);
  std::optional<int> Number(const Operand& op, int min, int max);
  std::optional<std::string> Choice(const Operand& op, std::initializer_list<std::string_view> choices);
  bool Single(const Operand& op, const std::string& statement);

  std::string_view text_;
  std::string source_;
  std::vector<std::string> lines_;
  ParseResult result_;
  Plan plan_;
  bool have_function_ = false;
  int function_line_ = 0;
  std::string function_name_;
  std::map<std::string, int> volsers_;  // volser -> line
  std::map<std::string, int> units_;    // exact unit or pattern -> line
};

void Parser::Diag(std::string_view id, int line, int column, Args args, std::string expected) {
  Diagnostic d;
  d.id = std::string(id);
  d.severity = id.back();
  d.where = Location{source_, line, column};
  for (const StatementMessage& m : kMessages) {
    if (m.id == id) d.message = Fill(m.text, args);
  }
  d.expected = std::move(expected);
  if (line >= 1 && static_cast<size_t>(line) <= lines_.size()) d.source_line = lines_[line - 1];
  d.args = std::move(args);
  result_.diagnostics.push_back(std::move(d));
}

bool Parser::CheckInput() {
  if (text_.size() > kMaxDeckBytes) {
    Diag("PAS302E", 0, 0, {{"what", "INPUT OF " + std::to_string(text_.size()) + " BYTES"},
                           {"limit", std::to_string(kMaxDeckBytes)}},
         "a control-statement file (a few lines)");
    return false;
  }
  int line = 1, column = 1;
  for (size_t i = 0; i < text_.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text_[i]);
    if (c == '\n') {
      ++line;
      column = 1;
      continue;
    }
    bool bad = (c < 0x20 && c != '\t' && c != '\r' && c != '\f') || c == 0x7f;
    if (bad) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "%02X", c);
      // The line for the caret, with the offending bytes made visible.
      size_t start = text_.rfind('\n', i);
      start = start == std::string_view::npos ? 0 : start + 1;
      size_t end = text_.find('\n', i);
      if (end == std::string_view::npos) end = text_.size();
      std::string shown(text_.substr(start, std::min<size_t>(end - start, 200)));
      for (char& ch : shown) {
        if ((static_cast<unsigned char>(ch) < 0x20 && ch != '\t') || ch == 0x7f) ch = '.';
      }
      lines_.assign(line, "");
      lines_[line - 1] = shown;
      Diag("PAS301E", line, column, {{"byte", hex}}, "a text file of control statements");
      lines_.clear();
      return false;
    }
    ++column;
  }
  return true;
}

void Parser::SplitLines() {
  size_t pos = 0;
  while (pos < text_.size()) {
    size_t nl = text_.find('\n', pos);
    size_t end = nl == std::string_view::npos ? text_.size() : nl;
    std::string line(text_.substr(pos, end - pos));
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines_.push_back(std::move(line));
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
  result_.echo = lines_;
}

void Parser::AssembleStatements() {
  std::vector<Char> stmt;
  int continued_line = 0, continued_col = 0;
  std::string continued_name;
  for (size_t li = 0; li < lines_.size(); ++li) {
    const std::string& line = lines_[li];
    const int lineno = static_cast<int>(li) + 1;
    if (!line.empty() && line[0] == '*') continue;  // comment
    if (line.size() > kMaxLineBytes) {
      Diag("PAS302E", lineno, 0,
           {{"what", "LINE OF " + std::to_string(line.size()) + " BYTES"},
            {"limit", std::to_string(kMaxLineBytes)}},
           "lines of at most " + std::to_string(kMaxLineBytes) + " characters");
      stmt.clear();
      continue;
    }
    size_t last = line.find_last_not_of(" \t\f");
    if (last == std::string::npos) continue;  // blank
    size_t first = line.find_first_not_of(" \t\f");
    if (stmt.empty()) {
      size_t name_end = first;
      while (name_end < line.size() && !std::isspace(static_cast<unsigned char>(line[name_end])) &&
             line[name_end] != ',') {
        ++name_end;
      }
      continued_name = Upper(line.substr(first, name_end - first));
    }
    if (!stmt.empty()) stmt.push_back(Char{' ', lineno, static_cast<int>(first)});
    for (size_t i = first; i <= last; ++i) {
      stmt.push_back(Char{line[i], lineno, static_cast<int>(i) + 1});
    }
    if (stmt.size() > kMaxStatementBytes) {
      Diag("PAS302E", lineno, 0,
           {{"what", "STATEMENT OF " + std::to_string(stmt.size()) + " BYTES"},
            {"limit", std::to_string(kMaxStatementBytes)}},
           "statements of at most " + std::to_string(kMaxStatementBytes) + " characters");
      stmt.clear();
      continue;
    }
    if (line[last] == ',') {
      continued_line = lineno;
      continued_col = static_cast<int>(last) + 1;
      continue;  // continues on the next line
    }
    ParseStatement(stmt);
    stmt.clear();
  }
  if (!stmt.empty()) {
    Diag("PAS314E", continued_line, continued_col, {{"statement", continued_name}},
         "another line continuing the statement, or no comma at its end");
  }
}

void Parser::ParseStatement(const std::vector<Char>& chars) {
  Statement st;
  size_t i = 0;
  const size_t n = chars.size();
  auto ws = [&] {
    while (i < n && std::isspace(static_cast<unsigned char>(chars[i].c))) ++i;
  };
  auto err = [&](const std::string& problem, const std::string& expected) {
    const Char& at = i < n ? chars[i] : chars[n - 1];
    int col = i < n ? at.column : at.column + 1;
    Diag("PAS319E", at.line, col, {{"problem", problem}}, expected);
    st.syntax_ok = false;
  };
  st.line = chars[0].line;
  st.column = chars[0].column;
  while (i < n && !std::isspace(static_cast<unsigned char>(chars[i].c)) && chars[i].c != ',') {
    st.name += static_cast<char>(std::toupper(static_cast<unsigned char>(chars[i].c)));
    ++i;
  }
  ws();
  while (i < n && st.syntax_ok) {
    Operand op;
    op.line = chars[i].line;
    op.column = chars[i].column;
    while (i < n && (std::isalnum(static_cast<unsigned char>(chars[i].c)))) {
      op.keyword += static_cast<char>(std::toupper(static_cast<unsigned char>(chars[i].c)));
      ++i;
    }
    if (op.keyword.empty()) {
      err(std::string("UNEXPECTED '") + chars[i].c + "'", "an operand KEYWORD=value");
      break;
    }
    ws();
    if (i >= n || chars[i].c != '=') {
      err("OPERAND " + op.keyword + " HAS NO VALUE", "KEYWORD=value");
      break;
    }
    ++i;
    ws();
    auto read_value = [&](bool in_list) -> bool {
      Value v;
      if (i < n) {
        v.line = chars[i].line;
        v.column = chars[i].column;
      }
      while (i < n && chars[i].c != ',' && chars[i].c != '(' && chars[i].c != ')' &&
             !std::isspace(static_cast<unsigned char>(chars[i].c))) {
        v.text += static_cast<char>(std::toupper(static_cast<unsigned char>(chars[i].c)));
        ++i;
      }
      if (v.text.empty()) {
        err("EMPTY VALUE FOR " + op.keyword, in_list ? "a list (A,B,...)" : "KEYWORD=value");
        return false;
      }
      op.values.push_back(std::move(v));
      return true;
    };
    if (i < n && chars[i].c == '(') {
      op.is_list = true;
      ++i;
      while (true) {
        ws();
        if (!read_value(true)) break;
        ws();
        if (i < n && chars[i].c == ',') {
          ++i;
          continue;
        }
        if (i < n && chars[i].c == ')') {
          ++i;
          break;
        }
        err("UNBALANCED PARENTHESIS IN " + op.keyword, "a list (A,B,...) closed by ')'");
        break;
      }
      if (!st.syntax_ok) break;
    } else if (!read_value(false)) {
      break;
    }
    st.operands.push_back(std::move(op));
    ws();
    if (i >= n) break;
    if (chars[i].c != ',') {
      err(std::string("EXPECTED A COMMA, FOUND '") + chars[i].c + "'",
          "operands separated by commas");
      break;
    }
    ++i;
    ws();
    if (i >= n) {
      err("STATEMENT ENDS WITH A COMMA", "another operand");
      break;
    }
  }
  Apply(st);
}

std::optional<int> Parser::Number(const Operand& op, int min, int max) {
  const Value& v = op.values[0];
  bool digits = !v.text.empty() && v.text.size() <= 9 &&
                std::all_of(v.text.begin(), v.text.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
  if (!digits) {
    Diag("PAS305E", v.line, v.column, {{"value", v.text}, {"operand", op.keyword}},
         "a number from " + std::to_string(min) + " to " + std::to_string(max));
    return std::nullopt;
  }
  int value = std::stoi(v.text);
  if (value < min || value > max) {
    Diag("PAS306E", v.line, v.column,
         {{"value", v.text}, {"operand", op.keyword}, {"min", std::to_string(min)},
          {"max", std::to_string(max)}},
         "a number from " + std::to_string(min) + " to " + std::to_string(max));
    return std::nullopt;
  }
  return value;
}

std::optional<std::string> Parser::Choice(const Operand& op,
                                          std::initializer_list<std::string_view> choices) {
  const Value& v = op.values[0];
  for (std::string_view c : choices) {
    if (v.text == c) return v.text;
  }
  std::string expected = "one of ";
  for (auto it = choices.begin(); it != choices.end(); ++it) {
    expected += (it == choices.begin() ? "" : ", ") + std::string(*it);
  }
  Diag("PAS305E", v.line, v.column, {{"value", v.text}, {"operand", op.keyword}}, expected);
  return std::nullopt;
}

// A list where one value is expected is an error.
bool Parser::Single(const Operand& op, const std::string& statement) {
  if (!op.is_list) return true;
  Diag("PAS305E", op.values[0].line, op.values[0].column - 1,
       {{"value", op.ValueText()}, {"operand", op.keyword}},
       statement == "MOUNT" ? "one unit (unit lists are for MONITOR)" : "a single value");
  return false;
}

void Parser::ApplyFunctionOperands(const Statement& st, Function f, bool record) {
  const bool monitor = f == Function::kMonitor;
  Plan p;
  p.function = f;
  p.where = Location{source_, st.line, st.column};
  if (monitor) p.max_tasks = kDefaultMonitorMaxTasks;
  std::map<OperandKind, int> seen;
  bool type_seen = false;
  const std::string valid_function =
      "one of TYPE, MAXTASKS, LARGERSIZE, NONRESPONDING, CHECKTARGET, STOPAFTER";
  const std::string valid_monitor = "one of TYPE, DYNMON, MAXTASKS, DURATION";
  for (const Operand& op : st.operands) {
    auto kind = LookupOperand(op.keyword);
    if (!kind) {
      Diag("PAS304E", op.line, op.column, {{"operand", op.keyword}, {"statement", st.name}},
           monitor ? valid_monitor : valid_function);
      continue;
    }
    if (*kind == OperandKind::kIgnored) {
      Diag("PAS320W", op.line, op.column, {{"operand", op.keyword}});
      continue;
    }
    if (seen.count(*kind)) {
      Diag("PAS318E", op.line, op.column, {{"operand", op.keyword}, {"statement", st.name}},
           "each operand once");
      continue;
    }
    seen[*kind] = op.line;
    const bool for_function = *kind == OperandKind::kType || *kind == OperandKind::kMaxTasks ||
                              *kind == OperandKind::kLargerSize ||
                              *kind == OperandKind::kNonResponding ||
                              *kind == OperandKind::kCheckTarget || *kind == OperandKind::kStopAfter;
    const bool for_monitor = *kind == OperandKind::kType || *kind == OperandKind::kMaxTasks ||
                             *kind == OperandKind::kDynMon || *kind == OperandKind::kDuration;
    if ((monitor && !for_monitor) || (!monitor && !for_function)) {
      Diag("PAS322E", op.line, op.column,
           {{"operand", op.keyword}, {"statement", st.name}, {"function", FunctionName(f)}},
           monitor ? valid_monitor : valid_function);
      continue;
    }
    if (!Single(op, st.name)) continue;
    switch (*kind) {
      case OperandKind::kType:
        type_seen = true;
        if (auto v = Choice(op, {monitor ? "SWAP" : "FULL"})) p.type_full = true;
        break;
      case OperandKind::kMaxTasks:
        if (auto v = Number(op, kMinMaxTasks, kMaxMaxTasks)) p.max_tasks = *v;
        break;
      case OperandKind::kLargerSize:
        if (auto v = Choice(op, {"NO", "OK"})) p.larger_size_ok = *v == "OK";
        break;
      case OperandKind::kNonResponding:
        if (auto v = Choice(op, {"RETRY", "FAIL", "MSG"})) {
          p.nonresponding = *v == "RETRY" ? NonResponding::kRetry
                            : *v == "FAIL" ? NonResponding::kFail
                                           : NonResponding::kMsg;
        }
        break;
      case OperandKind::kCheckTarget:
        if (auto v = Choice(op, {"NO", "YES"})) p.check_target = *v == "YES";
        break;
      case OperandKind::kStopAfter:
        if (auto v = Number(op, 1, 99999)) p.stop_after_minutes = *v;
        break;
      case OperandKind::kDynMon:
        if (auto v = Choice(op, {"NO", "YES"})) p.dynmon = *v == "YES";
        break;
      case OperandKind::kDuration:
        if (auto v = Number(op, 0, 99999)) p.duration_minutes = *v;
        break;
      default:
        break;
    }
  }
  if (!type_seen && st.syntax_ok) {
    Diag("PAS307E", st.line, st.column,
         {{"statement", st.name}, {"type", monitor ? "SWAP" : "FULL"}},
         monitor ? "MONITOR TYPE=SWAP" : st.name + " TYPE=FULL,...");
  }
  if (record) plan_ = std::move(p);
}

void Parser::ApplyMount(const Statement& st) {
  const bool monitor = have_function_ && plan_.function == Function::kMonitor;
  const std::string function = have_function_ ? FunctionName(plan_.function) : "NONE";
  const Operand* vol = nullptr;
  const Operand* unit = nullptr;
  for (const Operand& op : st.operands) {
    auto kind = LookupOperand(op.keyword);
    if (!kind) {
      Diag("PAS304E", op.line, op.column, {{"operand", op.keyword}, {"statement", "MOUNT"}},
           monitor ? "SWAPUNIT=(unit,...)" : "VOL=volser,SWAPUNIT=unit");
      continue;
    }
    if (*kind == OperandKind::kIgnored) {
      Diag("PAS320W", op.line, op.column, {{"operand", op.keyword}});
      continue;
    }
    const Operand** slot = *kind == OperandKind::kVol        ? &vol
                           : *kind == OperandKind::kSwapUnit ? &unit
                                                             : nullptr;
    if (slot == nullptr || (monitor && slot == &vol)) {
      Diag("PAS322E", op.line, op.column,
           {{"operand", op.keyword}, {"statement", "MOUNT"}, {"function", function}},
           monitor ? "SWAPUNIT=(unit,...)" : "VOL=volser,SWAPUNIT=unit");
      continue;
    }
    if (*slot != nullptr) {
      Diag("PAS318E", op.line, op.column, {{"operand", op.keyword}, {"statement", "MOUNT"}},
           "each operand once");
      continue;
    }
    *slot = &op;
  }
  if (!st.syntax_ok) return;
  if (!monitor && vol == nullptr) {
    Diag("PAS317E", st.line, st.column, {{"operand", "VOL"}, {"statement", "MOUNT"}},
         "MOUNT VOL=volser,SWAPUNIT=unit");
  }
  if (unit == nullptr) {
    Diag("PAS317E", st.line, st.column, {{"operand", "SWAPUNIT"}, {"statement", "MOUNT"}},
         monitor ? "MOUNT SWAPUNIT=(unit,...)" : "MOUNT VOL=volser,SWAPUNIT=unit");
  }
  bool ok = (monitor || vol != nullptr) && unit != nullptr;
  if (vol != nullptr && Single(*vol, "VOL")) {
    const Value& v = vol->values[0];
    if (!ValidVolser(v.text)) {
      Diag("PAS323E", v.line, v.column, {{"volser", v.text}},
           "1 to 6 characters A-Z, 0-9, @, # or $");
      ok = false;
    } else if (auto it = volsers_.find(v.text); it != volsers_.end()) {
      Diag("PAS310E", v.line, v.column,
           {{"volser", v.text}, {"first_line", std::to_string(it->second)}},
           "each volume mounted once");
      ok = false;
    } else {
      volsers_[v.text] = st.line;
    }
  } else if (vol != nullptr) {
    ok = false;
  }
  std::vector<const Value*> units;
  if (unit != nullptr && (monitor || Single(*unit, "MOUNT"))) {
    for (const Value& v : unit->values) units.push_back(&v);
  } else {
    ok = false;
  }
  for (const Value* v : units) {
    if (!IsValidUnitPattern(v->text)) {
      Diag("PAS312E", v->line, v->column, {{"unit", v->text}},
           "4 characters 0-9, A-F or * (e.g. B887, 17C*)");
      ok = false;
      continue;
    }
    if (!monitor && v->text == "****" && vol != nullptr) {
      Diag("PAS313E", v->line, v->column,
           {{"volser", vol->values[0].text}, {"unit", v->text}},
           "a SWAPUNIT naming at least one digit of a different unit");
      ok = false;
      continue;
    }
    // Patterns with `*` resolve per source unit; only identical exact units
    // (or identical MONITOR patterns) are certainly duplicates.
    if (monitor || v->text.find('*') == std::string::npos) {
      if (auto it = units_.find(v->text); it != units_.end()) {
        Diag("PAS311E", v->line, v->column,
             {{"unit", v->text}, {"first_line", std::to_string(it->second)}},
             "each target unit once");
        ok = false;
        continue;
      }
      units_[v->text] = st.line;
    }
  }
  if (!have_function_ || !ok) return;
  if (monitor) {
    for (const Value* v : units) {
      plan_.monitor_units.push_back(v->text);
      plan_.monitor_unit_where.push_back(Location{source_, v->line, v->column});
    }
  } else {
    plan_.mounts.push_back(
        Mount{vol->values[0].text, units[0]->text, Location{source_, st.line, st.column}});
  }
}

void Parser::ApplyExclude(const Statement& st) {
  const Operand* sys = nullptr;
  for (const Operand& op : st.operands) {
    auto kind = LookupOperand(op.keyword);
    if (!kind || *kind != OperandKind::kSystem) {
      Diag("PAS304E", op.line, op.column, {{"operand", op.keyword}, {"statement", "EXCLUDE"}},
           "EXCLUDE SYSTEM=name");
      continue;
    }
    if (sys != nullptr) {
      Diag("PAS318E", op.line, op.column, {{"operand", op.keyword}, {"statement", "EXCLUDE"}},
           "each operand once");
      continue;
    }
    sys = &op;
  }
  if (!st.syntax_ok) return;
  if (sys == nullptr) {
    Diag("PAS317E", st.line, st.column, {{"operand", "SYSTEM"}, {"statement", "EXCLUDE"}},
         "EXCLUDE SYSTEM=name");
    return;
  }
  if (!Single(*sys, "EXCLUDE")) return;
  const Value& v = sys->values[0];
  if (!ValidSystemName(v.text)) {
    Diag("PAS305E", v.line, v.column, {{"value", v.text}, {"operand", sys->keyword}},
         "a system name of 1 to 8 characters");
    return;
  }
  if (have_function_) plan_.excludes.push_back(Exclude{v.text, Location{source_, st.line, st.column}});
}

void Parser::Apply(const Statement& st) {
  if (auto f = LookupFunction(st.name)) {
    if (have_function_) {
      Diag("PAS309E", st.line, st.column,
           {{"statement", st.name}, {"first_line", std::to_string(function_line_)}},
           "one function statement; comment the others out with * in column 1");
      ApplyFunctionOperands(st, *f, false);
      return;
    }
    ApplyFunctionOperands(st, *f, true);
    have_function_ = true;
    function_line_ = st.line;
    function_name_ = st.name;
    return;
  }
  if (st.name == "MOUNT" || st.name == "EXCLUDE") {
    if (!have_function_) {
      Diag("PAS308E", st.line, st.column, {{"statement", st.name}},
           "SWAP, SWAPDUMP, SIMSWAP, SIMSWAPMON or MONITOR first");
    }
    if (st.name == "MOUNT") ApplyMount(st);
    else ApplyExclude(st);
    return;
  }
  Diag("PAS303E", st.line, st.column, {{"statement", st.name}},
       "SWAP, SWAPDUMP, SIMSWAP, SIMSWAPMON, MONITOR, MOUNT or EXCLUDE");
}

ParseResult Parser::Run() {
  if (!CheckInput()) {
    result_.condition_code = 12;
    return std::move(result_);
  }
  SplitLines();
  AssembleStatements();
  bool errors = std::any_of(result_.diagnostics.begin(), result_.diagnostics.end(),
                            [](const Diagnostic& d) { return d.severity == 'E'; });
  if (!have_function_ && !errors) {
    Diag("PAS321E", 0, 0, {}, "a function statement and its MOUNT statements");
  } else if (have_function_ && plan_.mounts.empty() && plan_.monitor_units.empty() && !errors) {
    Diag("PAS315E", plan_.where.line, plan_.where.column, {{"statement", function_name_}},
         plan_.IsMonitor() ? "MOUNT SWAPUNIT=(unit,...)" : "MOUNT VOL=volser,SWAPUNIT=unit");
  }
  std::stable_sort(result_.diagnostics.begin(), result_.diagnostics.end(),
                   [](const Diagnostic& a, const Diagnostic& b) {
                     if (a.where.line != b.where.line) {
                       // Whole-input diagnostics (line 0) go last.
                       if (a.where.line == 0) return false;
                       if (b.where.line == 0) return true;
                       return a.where.line < b.where.line;
                     }
                     return a.where.column < b.where.column;
                   });
  errors = std::any_of(result_.diagnostics.begin(), result_.diagnostics.end(),
                       [](const Diagnostic& d) { return d.severity == 'E'; });
  if (errors) {
    result_.condition_code = 12;
  } else {
    result_.condition_code = result_.diagnostics.empty() ? 0 : 4;
    result_.plan = std::move(plan_);
  }
  return std::move(result_);
}

}  // namespace

std::string Diagnostic::Format() const {
  std::string out = where.file;
  if (where.line > 0) {
    out += ":" + std::to_string(where.line);
    if (where.column > 0) out += ":" + std::to_string(where.column);
  }
  out += ": " + id + " " + message + "\n";
  if (where.line > 0 && !source_line.empty()) {
    out += "  " + source_line + "\n";
    if (where.column > 0) {
      std::string caret = "  ";
      for (int i = 0; i + 1 < where.column && static_cast<size_t>(i) < source_line.size(); ++i) {
        caret += source_line[i] == '\t' ? '\t' : ' ';
      }
      out += caret + "^\n";
    }
  }
  if (!expected.empty()) out += "  expected: " + expected + "\n";
  return out;
}

ParseResult ParseDeck(std::string_view text, const std::string& source_name) {
  // A UTF-8 byte-order mark at the start is not part of the deck.
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  Parser parser(text, source_name);
  return parser.Run();
}

std::span<const StatementMessage> StatementMessages() { return kMessages; }

}  // namespace pas::statements
