#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "statements/parser.h"

namespace pas::statements {
namespace {

struct Expected {
  std::string id;
  int line;
  int column;
};

struct BadDeck {
  const char* name;
  std::string text;
  std::vector<Expected> messages;  // all diagnostics, in order
};

// Names the case in test listings (instead of a dump of its bytes).
inline void PrintTo(const BadDeck& c, std::ostream* os) { *os << c.name; }

std::string Describe(const ParseResult& r) {
  std::string s;
  for (const auto& d : r.diagnostics) s += d.Format();
  return s;
}

const std::vector<BadDeck>& BadDecks() {
  static const std::vector<BadDeck> decks = {
      {"UnknownStatement", "SWAP TYPE=FULL\nMOUNT VOL=A,SWAPUNIT=B887\nFROB X=1\n", {{"PAS303E", 3, 1}}},
      {"UnknownOperand", "SWAP TYPE=FULL,MAXTASK=3\nMOUNT VOL=A,SWAPUNIT=B887\n", {{"PAS304E", 1, 16}}},
      {"BadLargerSize", "SWAP TYPE=FULL,LARGERSIZE=MAYBE\nMOUNT VOL=A,SWAPUNIT=B887\n", {{"PAS305E", 1, 27}}},
      {"BadNonResponding", "SWAP TYPE=FULL,NONRESPONDING=WAIT\nMOUNT VOL=A,SWAPUNIT=B887\n", {{"PAS305E", 1, 30}}},
      {"BadCheckTarget", "SWAP TYPE=FULL,CHECKTARGET=1\nMOUNT VOL=A,SWAPUNIT=B887\n", {{"PAS305E", 1, 28}}},
      {"MaxTasksZero", "SWAP TYPE=FULL,MAXTASKS=0\nMOUNT VOL=A,SWAPUNIT=B887\n", {{"PAS306E", 1, 25}}},
      {"MaxTasks101", "SWAP TYPE=FULL,MAXTASKS=101\nMOUNT VOL=A,SWAPUNIT=B887\n", {{"PAS306E", 1, 25}}},
      {"MaxTasksNotNumber", "SWAP TYPE=FULL,MAXTASKS=TEN\nMOUNT VOL=A,SWAPUNIT=B887\n", {{"PAS305E", 1, 25}}},
      {"StopAfterZero", "SWAP TYPE=FULL,STOPAFTER=0\nMOUNT VOL=A,SWAPUNIT=B887\n", {{"PAS306E", 1, 26}}},
      {"MissingTypeFull", "SWAP MAXTASKS=2\nMOUNT VOL=A,SWAPUNIT=B887\n", {{"PAS307E", 1, 1}}},
      {"TypeNotFull", "SWAPDUMP TYPE=PART\nMOUNT VOL=A,SWAPUNIT=B887\n", {{"PAS305E", 1, 15}}},
      {"MonitorMissingType", "MONITOR DYNMON=YES\nMOUNT SWAPUNIT=B887\n", {{"PAS307E", 1, 1}}},
      {"MountBeforeFunction", "MOUNT VOL=A,SWAPUNIT=B887\nSWAP TYPE=FULL\nMOUNT VOL=B,SWAPUNIT=B888\n", {{"PAS308E", 1, 1}}},
      {"ExcludeBeforeFunction", "EXCLUDE SYSTEM=X\nSWAP TYPE=FULL\nMOUNT VOL=B,SWAPUNIT=B888\n", {{"PAS308E", 1, 1}}},
      {"TwoFunctions", "SWAP TYPE=FULL\nSIMSWAP TYPE=FULL\nMOUNT VOL=A,SWAPUNIT=B887\n", {{"PAS309E", 2, 1}}},
      {"DuplicateVolume", "SWAP TYPE=FULL\nMOUNT VOL=A,SWAPUNIT=B887\nMOUNT VOL=A,SWAPUNIT=B888\n", {{"PAS310E", 3, 11}}},
      {"DuplicateUnit", "SWAP TYPE=FULL\nMOUNT VOL=A,SWAPUNIT=B887\nMOUNT VOL=B,SWAPUNIT=b887\n", {{"PAS311E", 3, 22}}},
      {"UnitNotHex", "SWAP TYPE=FULL\nMOUNT VOL=A,SWAPUNIT=B8G7\n", {{"PAS312E", 2, 22}}},
      {"UnitTooShort", "SWAP TYPE=FULL\nMOUNT VOL=A,SWAPUNIT=B87\n", {{"PAS312E", 2, 22}}},
      {"UnitTooLong", "SWAP TYPE=FULL\nMOUNT VOL=A,SU=B8877\n", {{"PAS312E", 2, 16}}},
      {"SourceEqualsTarget", "SWAP TYPE=FULL\nMOUNT VOL=A,SWAPUNIT=****\n", {{"PAS313E", 2, 22}}},
      {"UnterminatedContinuation", "SWAP TYPE=FULL,\n* comment\n\n", {{"PAS314E", 1, 15}}},
      {"FunctionWithoutMount", "SIMSWAP TYPE=FULL\n", {{"PAS315E", 1, 1}}},
      {"MonitorWithoutMount", "MONITOR TYPE=SWAP\n", {{"PAS315E", 1, 1}}},
      {"MountMissingVol", "SWAP TYPE=FULL\nMOUNT SWAPUNIT=B887\n", {{"PAS317E", 2, 1}}},
      {"MountMissingUnit", "SWAP TYPE=FULL\nMOUNT VOL=A\n", {{"PAS317E", 2, 1}}},
      {"DuplicateOperand", "SWAP TYPE=FULL,MAXTASKS=2,MAXT=3\nMOUNT VOL=A,SWAPUNIT=B887\n", {{"PAS318E", 1, 27}}},
      {"MissingEquals", "SWAP TYPE=FULL,MAXTASKS\nMOUNT VOL=A,SWAPUNIT=B887\n", {{"PAS319E", 1, 24}}},
      {"MissingComma", "SWAP TYPE=FULL MAXTASKS=2\nMOUNT VOL=A,SWAPUNIT=B887\n", {{"PAS319E", 1, 16}}},
      {"UnbalancedList", "MONITOR TYPE=SWAP\nMOUNT SWAPUNIT=(B887,B888\n", {{"PAS319E", 2, 26}}},
      {"EmptyDeck", "* only a comment\n\n", {{"PAS321E", 0, 0}}},
      {"ListOutsideMonitor", "SWAP TYPE=FULL\nMOUNT VOL=A,SWAPUNIT=(B887,B888)\n", {{"PAS305E", 2, 22}}},
      {"VolUnderMonitor", "MONITOR TYPE=SWAP\nMOUNT VOL=A,SWAPUNIT=B887\n", {{"PAS322E", 2, 7}}},
      {"DynmonOnSwap", "SWAP TYPE=FULL,DYNMON=YES\nMOUNT VOL=A,SWAPUNIT=B887\n", {{"PAS322E", 1, 16}}},
      {"LargerSizeOnMonitor", "MONITOR TYPE=SWAP,LARGERSIZE=OK\nMOUNT SWAPUNIT=B887\n", {{"PAS322E", 1, 19}}},
      {"BadVolser", "SWAP TYPE=FULL\nMOUNT VOL=TOOLONG7,SWAPUNIT=B887\n", {{"PAS323E", 2, 11}}},
      {"NulByte", std::string("SWAP TYPE=FULL\nMOUNT VOL=A,\0SWAPUNIT=B887\n", 41), {{"PAS301E", 2, 13}}},
      {"BinaryInput", std::string("\x7f" "ELF\x02\x01\x01\0\0\0", 10), {{"PAS301E", 1, 1}}},
      {"HugeInput", std::string(kMaxDeckBytes + 1, 'A'), {{"PAS302E", 0, 0}}},
      {"HugeLine", "SWAP TYPE=FULL\nMOUNT VOL=A,SWAPUNIT=B887\n" + std::string(5000, 'X') + "\n", {{"PAS302E", 3, 0}}},
      {"BadMonitorDuration", "MONITOR TYPE=SWAP,DURATION=-5\nMOUNT SWAPUNIT=B887\n", {{"PAS305E", 1, 28}}},
      {"DuplicateMonitorUnit", "MONITOR TYPE=SWAP\nMOUNT SU=(B887,B887)\n", {{"PAS311E", 2, 16}}},
      {"ExcludeWithoutSystem", "SWAP TYPE=FULL\nEXCLUDE NAME=X\nMOUNT VOL=A,SWAPUNIT=B887\n", {{"PAS317E", 2, 1}, {"PAS304E", 2, 9}}},
      {"EverythingReported",
       "SWAP TYPE=FULL,MAXTASKS=101,FOO=1,\n  NONRESPONDING=MAYBE\n MOUNT VOL=VM1887,SWAPUNIT=B8Z7\n"
       " MOUNT VOL=VM1887,SWAPUNIT=B887,BUFNO=5\nSIMSWAP TYPE=FULL\nBOGUS X=1\n",
       {{"PAS306E", 1, 25}, {"PAS304E", 1, 29}, {"PAS305E", 2, 17}, {"PAS312E", 3, 28},
        {"PAS310E", 4, 12}, {"PAS320W", 4, 33}, {"PAS309E", 5, 1}, {"PAS303E", 6, 1}}},
  };
  return decks;
}

class BadDeckTest : public ::testing::TestWithParam<BadDeck> {};

TEST_P(BadDeckTest, ReportsEveryExpectedMessageWithLocation) {
  const BadDeck& deck = GetParam();
  ParseResult r = ParseDeck(deck.text, "deck.txt");
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.condition_code, 12);
  ASSERT_EQ(r.diagnostics.size(), deck.messages.size()) << Describe(r);
  for (size_t i = 0; i < deck.messages.size(); ++i) {
    const Diagnostic& d = r.diagnostics[i];
    EXPECT_EQ(d.id, deck.messages[i].id) << Describe(r);
    EXPECT_EQ(d.where.line, deck.messages[i].line) << Describe(r);
    EXPECT_EQ(d.where.column, deck.messages[i].column) << Describe(r);
    EXPECT_EQ(d.where.file, "deck.txt");
    EXPECT_FALSE(d.message.empty());
    EXPECT_EQ(d.message.find('{'), std::string::npos) << "unfilled placeholder: " << d.message;
  }
}

INSTANTIATE_TEST_SUITE_P(Decks, BadDeckTest, ::testing::ValuesIn(BadDecks()),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(ParseDeck, SeedDeck) {
  const std::string seed =
      "*SIMSWAP  TYPE=FULL, LARGERSIZE=OK, MAXTASKS=4, NONRESPONDING=FAIL\n"
      "*SIMSWAPMON TYPE=FULL, LARGERSIZE=OK, MAXTASKS=4, NONRESPONDING=FAIL\n"
      "*SWAPDUMP TYPE=FULL, LARGERSIZE=OK, MAXTASKS=32, NONRESPONDING=FAIL\n"
      "  SWAP  TYPE=FULL, LARGERSIZE=OK, MAXTASKS=32, NONRESPONDING=FAIL\n"
      "  MOUNT VOL=VM1887, SWAPUNIT=B887\n";
  ParseResult r = ParseDeck(seed, "seed.txt");
  ASSERT_TRUE(r.ok()) << Describe(r);
  EXPECT_EQ(r.condition_code, 0);
  EXPECT_TRUE(r.diagnostics.empty());
  EXPECT_EQ(r.echo.size(), 5u);
  const Plan& p = *r.plan;
  EXPECT_EQ(p.function, Function::kSwap);
  EXPECT_TRUE(p.type_full);
  EXPECT_TRUE(p.larger_size_ok);
  EXPECT_EQ(p.max_tasks, 32);
  EXPECT_EQ(p.nonresponding, NonResponding::kFail);
  EXPECT_FALSE(p.check_target);
  EXPECT_EQ(p.stop_after_minutes, 1440);
  EXPECT_EQ(p.where.line, 4);
  EXPECT_EQ(p.where.column, 3);
  ASSERT_EQ(p.mounts.size(), 1u);
  EXPECT_EQ(p.mounts[0].volser, "VM1887");
  EXPECT_EQ(p.mounts[0].swapunit_pattern, "B887");
  EXPECT_EQ(p.mounts[0].where.line, 5);
}

TEST(ParseDeck, DefaultsAndCaseInsensitive) {
  ParseResult r = ParseDeck("simswap type=full\nmount vol=vm0001,su=17c*\n", "d");
  ASSERT_TRUE(r.ok()) << Describe(r);
  EXPECT_EQ(r.plan->function, Function::kSimSwap);
  EXPECT_EQ(r.plan->max_tasks, kDefaultMaxTasks);
  EXPECT_FALSE(r.plan->larger_size_ok);
  EXPECT_EQ(r.plan->nonresponding, NonResponding::kRetry);
  EXPECT_EQ(r.plan->stop_after_minutes, 1440);
  EXPECT_EQ(r.plan->mounts[0].volser, "VM0001");
  EXPECT_EQ(r.plan->mounts[0].swapunit_pattern, "17C*");
}

TEST(ParseDeck, ContinuationAcrossLinesWithComments) {
  ParseResult r = ParseDeck(
      "SWAPDUMP TYPE=FULL,\n* a comment inside\n\n   MAXTASKS=100,CHECKTARGET=YES,\n   STOPAFTER=60\n"
      "MOUNT VOL=A1,\n  SWAPUNIT=0200\nMOUNT VOL=A2,SWAPUNIT=02**\nEXCLUDE SYSTEM=oldsys\n",
      "d");
  ASSERT_TRUE(r.ok()) << Describe(r);
  EXPECT_EQ(r.plan->function, Function::kSwapDump);
  EXPECT_EQ(r.plan->max_tasks, 100);
  EXPECT_TRUE(r.plan->check_target);
  EXPECT_EQ(r.plan->stop_after_minutes, 60);
  ASSERT_EQ(r.plan->mounts.size(), 2u);
  EXPECT_EQ(r.plan->mounts[1].swapunit_pattern, "02**");
  ASSERT_EQ(r.plan->excludes.size(), 1u);
  EXPECT_TRUE(r.plan->IsExcluded("OLDSYS"));
  EXPECT_TRUE(r.plan->IsExcluded("oldsys"));
  EXPECT_FALSE(r.plan->IsExcluded("OTHER"));
}

TEST(ParseDeck, MonitorWithListAndPrefix) {
  ParseResult r = ParseDeck("MONITOR TYPE=SWAP,DYNMON=YES,DURATION=30\nMOUNT SWAPUNIT=(B887, B888)\n"
                            "MOUNT SU=C1**\n",
                            "d");
  ASSERT_TRUE(r.ok()) << Describe(r);
  EXPECT_EQ(r.plan->function, Function::kMonitor);
  EXPECT_EQ(r.plan->max_tasks, kDefaultMonitorMaxTasks);
  EXPECT_TRUE(r.plan->dynmon);
  EXPECT_EQ(r.plan->duration_minutes, 30);
  EXPECT_EQ(r.plan->monitor_units, (std::vector<std::string>{"B887", "B888", "C1**"}));
}

TEST(ParseDeck, IgnoredOperandsWarnWithConditionCode4) {
  ParseResult r = ParseDeck("SWAP TYPE=FULL,ALLOWPAV=YES,BUFNO=10,WTOR=NO\nMOUNT VOL=A,SWAPUNIT=B887\n", "d");
  ASSERT_TRUE(r.ok()) << Describe(r);
  EXPECT_EQ(r.condition_code, 4);
  ASSERT_EQ(r.diagnostics.size(), 3u);
  for (const auto& d : r.diagnostics) {
    EXPECT_EQ(d.id, "PAS320W");
    EXPECT_EQ(d.severity, 'W');
  }
  EXPECT_EQ(r.diagnostics[1].where.column, 29);
}

TEST(ParseDeck, CrLfLineEndings) {
  ParseResult r = ParseDeck("SWAP TYPE=FULL\r\nMOUNT VOL=A,SWAPUNIT=B887\r\n", "d");
  ASSERT_TRUE(r.ok()) << Describe(r);
  EXPECT_EQ(r.plan->mounts[0].swapunit_pattern, "B887");
}

TEST(Diagnostic, FormatShowsLocationStatementCaretAndExpectation) {
  ParseResult r = ParseDeck("SWAP TYPE=FULL,MAXTASKS=0\nMOUNT VOL=A,SWAPUNIT=B887\n", "deck.txt");
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_EQ(r.diagnostics[0].Format(),
            "deck.txt:1:25: PAS306E VALUE 0 OF MAXTASKS IS OUT OF RANGE 1-100\n"
            "  SWAP TYPE=FULL,MAXTASKS=0\n"
            "                          ^\n"
            "  expected: a number from 1 to 100\n");
}

TEST(ResolveSwapUnit, CopiesStarDigitsFromSource) {
  EXPECT_EQ(ResolveSwapUnit("17C*", 0x03A4), 0x17C4);
  EXPECT_EQ(ResolveSwapUnit("17**", 0x03A4), 0x17A4);
  EXPECT_EQ(ResolveSwapUnit("B887", 0x1887), 0xB887);
  EXPECT_EQ(ResolveSwapUnit("b8*7", 0x1827), 0xB827);
  EXPECT_EQ(ResolveSwapUnit("****", 0x1234), 0x1234);
  EXPECT_EQ(ResolveSwapUnit("*000", 0xF123), 0xF000);
  EXPECT_FALSE(ResolveSwapUnit("B88", 0x1887).has_value());
  EXPECT_FALSE(ResolveSwapUnit("B88G", 0x1887).has_value());
  EXPECT_FALSE(ResolveSwapUnit("B8877", 0x1887).has_value());
  EXPECT_FALSE(ResolveSwapUnit("", 0x1887).has_value());
}

TEST(UnitMatches, ExactAndPrefix) {
  EXPECT_TRUE(UnitMatches("B887", 0xB887));
  EXPECT_FALSE(UnitMatches("B887", 0xB888));
  EXPECT_TRUE(UnitMatches("B8**", 0xB800));
  EXPECT_TRUE(UnitMatches("B8**", 0xB8FF));
  EXPECT_FALSE(UnitMatches("B8**", 0xB900));
  EXPECT_TRUE(UnitMatches("****", 0x0001));
  EXPECT_FALSE(UnitMatches("B8*", 0xB800));
}

TEST(ParseDeck, RandomBytesNeverCrash) {
  uint32_t seed = 12345;
  for (int iter = 0; iter < 2000; ++iter) {
    std::string text;
    int len = static_cast<int>(seed % 200);
    for (int i = 0; i < len; ++i) {
      seed = seed * 1103515245 + 12345;
      static const char kAlphabet[] = "SWAPMOUNTVOL=,()*\n \tB887FULL#$19";
      text += kAlphabet[(seed >> 16) % (sizeof kAlphabet - 1)];
    }
    ParseResult r = ParseDeck(text, "fuzz");
    EXPECT_TRUE(r.condition_code == 0 || r.condition_code == 4 || r.condition_code == 12);
    EXPECT_EQ(r.ok(), r.condition_code != 12);
  }
}

}  // namespace
}  // namespace pas::statements
