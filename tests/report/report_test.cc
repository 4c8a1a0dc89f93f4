#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <filesystem>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "report/history.h"
#include "report/messages.h"
#include "report/progress.h"
#include "report/report.h"
#include "statements/parser.h"
#include "test_util.h"

namespace pas::report {
namespace {

using pas::testing::ReadFile;
using pas::testing::ScratchDir;
using pas::testing::WriteFile;

TEST(OperationStatistics, ReproducesTheSeedBlock) {
  VolumeStats v;
  v.device_type = "3390";
  v.volser = "VM1887";
  v.cylinders = 10017;
  v.datasets_processed = 0;
  v.bytes_read = 7593410036ULL;
  v.tracks_swapped = 154127;
  v.tracks_recopied = 3873;
  v.source_excps = 10418;
  v.target_excps = 10371;
  v.cpu_seconds = 2.257;
  v.elapsed_minutes = 2.6;
  v.swap_minutes = 2.4;
  v.passes = 4;
  v.longest_pause_ms = 12.34;
  v.longest_pause_system = "VMLAB63B";
  const std::string seed_block =
      "OPERATION STATISTICS FOR 3390 VOLUME.....VM1887\n"
      "      CYLINDERS ON VOLUME.....10,017\n"
      "      DATASETS PROCESSED.....0\n"
      "      BYTES READ FROM DASD.....7,593,410,036\n"
      "      DASD TRACKS SWAPPED.....154,127\n"
      "      UPDATED TRACKS RECOPIED.....3,873\n"
      "      DASD EXCPS.....10,418\n"
      "      TARGET DASD EXCPS.....10,371\n"
      "      CPU TIME (SECONDS).....2.257\n"
      "      ELAPSED TIME (MINUTES).....2.6\n"
      "      SWAP TIME.....2.4\n";
  EXPECT_EQ(FormatOperationStatistics(v),
            seed_block + "      PASSES.....4\n      LONGEST I/O PAUSE (MS).....12.3 ON VMLAB63B\n");
}

TEST(OperationStatistics, ThousandsSeparators) {
  EXPECT_EQ(FormatThousands(0), "0");
  EXPECT_EQ(FormatThousands(999), "999");
  EXPECT_EQ(FormatThousands(1000), "1,000");
  EXPECT_EQ(FormatThousands(65520), "65,520");
  EXPECT_EQ(FormatThousands(18446744073709551615ULL), "18,446,744,073,709,551,615");
}

TEST(ClosingLine, ByConditionCode) {
  EXPECT_EQ(ClosingLine(0), "PAS SUCCESSFULLY COMPLETED");
  EXPECT_EQ(ClosingLine(4), "PAS COMPLETED WITH WARNINGS \u2014 HIGHEST CONDITION CODE 4");
  EXPECT_EQ(ClosingLine(8), "PAS COMPLETED WITH ERRORS \u2014 HIGHEST CONDITION CODE 8");
  EXPECT_EQ(ClosingLine(12), "PAS COMPLETED WITH ERRORS \u2014 HIGHEST CONDITION CODE 12");
}

TEST(Messages, SeedWordings) {
  EXPECT_EQ(Format("PAS233I", {{"system", "VMLAB63B"}, {"serial", "04E2062818"}, {"volser", "VM1887"},
                               {"source", "1887"}, {"target", "B887"}}),
            "PAS233I VMLAB63B (SERIAL# 04E2062818) ACKNOWLEDGES THE SWAP OF VOL=VM1887 AND HAS "
            "JOINED IN SWAP OF UNIT=1887 TO B887");
  EXPECT_EQ(Format("PAS241I", {{"volser", "VM1887"}, {"target", "B887"}}),
            "PAS241I PAS SUCCESSFULLY COMPLETED SWAP OF VOL=VM1887 TO UNIT=B887");
  EXPECT_EQ(Format("PAS316E", {{"volser", "73BSP1"}}),
            "PAS316E PAS DID NOT FIND REQUESTED MOUNT SWAP VOL=73BSP1");
}

TEST(Messages, MissingValueShowsAndUnknownIdIsSevere) {
  EXPECT_EQ(Format("PAS316E", {}), "PAS316E PAS DID NOT FIND REQUESTED MOUNT SWAP VOL={volser}");
  EXPECT_EQ(Format("PAS777I", {}), "PAS999S UNDEFINED MESSAGE PAS777I");
}

TEST(Messages, CatalogueIsWellFormed) {
  std::regex id_re("PAS[0-9]{3}[IWES]");
  std::set<std::string> ids;
  for (const MessageDef& m : Catalogue()) {
    std::string id(m.id);
    EXPECT_TRUE(std::regex_match(id, id_re)) << id;
    EXPECT_TRUE(ids.insert(id.substr(0, 6)).second) << "number used twice: " << id;
    EXPECT_FALSE(m.text.empty()) << id;
    EXPECT_FALSE(m.explanation.empty()) << id;
    EXPECT_FALSE(m.action.empty()) << id;
    EXPECT_EQ(FindMessage(m.id), &m);
  }
  EXPECT_GT(ids.size(), 60u);
}

TEST(Messages, StatementMessagesMatchTheCatalogue) {
  for (const auto& sm : statements::StatementMessages()) {
    const MessageDef* m = FindMessage(sm.id);
    ASSERT_NE(m, nullptr) << sm.id;
    EXPECT_EQ(m->text, sm.text) << sm.id;
  }
  // And a diagnostic's text is what the catalogue formats from its values.
  auto r = statements::ParseDeck("SWAP TYPE=FULL,MAXTASKS=0\nMOUNT VOL=A,SWAPUNIT=B887\n", "d");
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_EQ(Format(r.diagnostics[0].id, r.diagnostics[0].args),
            r.diagnostics[0].id + " " + r.diagnostics[0].message);
}

// Every message ID written anywhere in the product's sources (src/, tools/)
// exists in the catalogue, so doc/messages.md explains every message a user
// can see.
TEST(Messages, IdsUsedInSourcesAreInTheCatalogue) {
  std::regex id_re("PAS[0-9]{3}[IWES]");
  int files = 0;
  for (const char* dir : {"src", "tools"}) {
    for (const auto& entry :
         std::filesystem::recursive_directory_iterator(std::string(PAS_SOURCE_DIR) + "/" + dir)) {
      const std::string path = entry.path().string();
      if (!entry.is_regular_file() || !(path.ends_with(".cc") || path.ends_with(".h"))) continue;
      ++files;
      std::string text = ReadFile(path);
      for (std::sregex_iterator it(text.begin(), text.end(), id_re), end; it != end; ++it) {
        EXPECT_NE(FindMessage(it->str()), nullptr) << path << ": " << it->str();
      }
    }
  }
  EXPECT_GT(files, 50);
}

TEST(Messages, DocMatchesCatalogue) {
  std::string doc = ReadFile(std::string(PAS_SOURCE_DIR) + "/doc/messages.md");
  const std::string generated = CatalogueMarkdown();
  std::istringstream a(doc), b(generated);
  std::string la, lb;
  int line = 0;
  while (true) {
    ++line;
    bool more_a = static_cast<bool>(std::getline(a, la));
    bool more_b = static_cast<bool>(std::getline(b, lb));
    if (!more_a && !more_b) break;
    ASSERT_TRUE(more_a == more_b && la == lb)
        << "doc/messages.md line " << line << " is \"" << (more_a ? la : "<end>")
        << "\" but the catalogue gives \"" << (more_b ? lb : "<end>")
        << "\": run `pas messages --markdown > doc/messages.md`";
  }
  auto r = pas::testing::Run({PAS_BINARY, "messages", "--markdown"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_TRUE(r.out == generated) << "pas messages --markdown differs from the catalogue";
}

TEST(JsonReport, EscapesAndWritesFile) {
  EXPECT_EQ(JsonString("a\"b\\c\n\x01"), "\"a\\\"b\\\\c\\n\\u0001\"");
  ScratchDir dir;
  JobReport job;
  job.function = "SWAP";
  job.deck = "deck \"1\".txt";
  job.condition_code = 8;
  job.messages = {"PAS241I X"};
  VolumeStats v;
  v.volser = "VM1887";
  v.bytes_read = 7593410036ULL;
  job.volumes.push_back(v);
  ASSERT_OK(WriteJsonReport(dir / "r.json", job));
  std::string text = ReadFile(dir / "r.json");
  EXPECT_NE(text.find("\"deck\": \"deck \\\"1\\\".txt\""), std::string::npos) << text;
  EXPECT_NE(text.find("\"bytes_read\": 7593410036"), std::string::npos) << text;
  EXPECT_NE(text.find("\"condition_code\": 8"), std::string::npos) << text;
  EXPECT_FALSE(WriteJsonReport(dir / "missing/dir/r.json", job).ok());
}

TEST(Reporter, TracksHighestConditionCodeAcrossThreads) {
  ScratchDir dir;
  FILE* out = std::fopen((dir / "out").c_str(), "w");
  ASSERT_NE(out, nullptr);
  {
    Reporter rep(out);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&rep, t] {
        for (int i = 0; i < 50; ++i) {
          rep.Message("PAS241I", {{"volser", "VOL" + std::to_string(t)}, {"target", "B887"}});
        }
      });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(rep.highest_cc(), 0);
    rep.Message("PAS320W", {{"operand", "BUFNO"}});
    EXPECT_EQ(rep.highest_cc(), 4);
    rep.Message("PAS316E", {{"volser", "X"}});
    EXPECT_EQ(rep.highest_cc(), 8);
    rep.Close();
    EXPECT_EQ(rep.Snapshot().messages.size(), 202u);
  }
  std::fclose(out);
  std::string text = ReadFile(dir / "out");
  std::istringstream lines(text);
  std::string line;
  int count = 0;
  while (std::getline(lines, line)) {
    ++count;
    EXPECT_EQ(line.rfind("PAS", 0), 0u) << "interleaved line: " << line;
  }
  EXPECT_EQ(count, 203);
  EXPECT_NE(text.find("HIGHEST CONDITION CODE 8"), std::string::npos);
}

TEST(Progress, MessagesAtMostEveryIntervalAndOnNewPass) {
  ScratchDir dir;
  FILE* out = std::fopen((dir / "p").c_str(), "w");
  ManualClock clock(0);
  ProgressReporter pr(out, ProgressReporter::Mode::kMessages, &clock, 10'000'000);
  VolumeProgress p{.volser = "VM1887", .source_unit = "1887", .target_unit = "B887",
                   .phase = "COPY", .pass = 1, .tracks_done = 0, .tracks_total = 1000};
  pr.Update(p);  // first update prints
  for (int i = 1; i <= 9; ++i) {
    clock.Advance(1'000'000);
    p.tracks_done = i * 50;
    p.bytes_done = p.tracks_done * 56664;
    pr.Update(p);  // within the interval: silent
  }
  clock.Advance(1'000'000);
  p.tracks_done = 500;
  p.bytes_done = 500 * 56664;
  pr.Update(p);  // 10 s later: prints
  p.pass = 2;
  p.phase = "RECOPY";
  pr.Update(p);  // new pass: prints
  std::fclose(out);
  std::string text = ReadFile(dir / "p");
  int lines = 0;
  for (char c : text) lines += c == '\n';
  EXPECT_EQ(lines, 3) << text;
  EXPECT_NE(text.find("PAS250I VOL=VM1887 COPY PASS 1 50.0% (500 OF 1000 TRACKS), 0 UPDATED, 2.8 MB/S, ETA 0:10"),
            std::string::npos)
      << text;
}

TEST(Progress, LiveModeRedrawsInPlace) {
  ScratchDir dir;
  FILE* out = std::fopen((dir / "p").c_str(), "w");
  ManualClock clock(0);
  ProgressReporter pr(out, ProgressReporter::Mode::kLive, &clock);
  pr.Update({.volser = "A", .pass = 1, .tracks_done = 1, .tracks_total = 2});
  pr.Update({.volser = "B", .pass = 1, .tracks_done = 1, .tracks_total = 4});
  pr.Finish("A");
  std::fclose(out);
  std::string text = ReadFile(dir / "p");
  EXPECT_NE(text.find("\x1b[1F"), std::string::npos);  // moved up over one line
  EXPECT_NE(text.find("\x1b[2F"), std::string::npos);  // and over two
  EXPECT_NE(text.find("25.0%"), std::string::npos);
}

HistoryRecord SampleRecord(const std::string& volser, double rate) {
  HistoryRecord r;
  r.time = 1'700'000'000;
  r.system = "VMLAB63B";
  r.volser = volser;
  r.function = "SWAP";
  r.status = "SWAPPED";
  r.source_unit = "1887";
  r.target_unit = "B887";
  r.phases.copy = 130.5;
  r.phases.swap = 0.02;
  r.tracks_copied = 154127;
  r.tracks_recopied = 3873;
  r.passes = 4;
  r.longest_pause_ms = 12.5;
  r.copy_rate_mbps = rate;
  r.message = "quote \" and \\ back";
  return r;
}

TEST(History, AppendAndReadBack) {
  ScratchDir dir;
  auto empty = ReadHistory(dir.path());
  ASSERT_OK(empty);
  EXPECT_TRUE(empty->records.empty());
  ASSERT_OK(AppendHistory(dir / "state", SampleRecord("VM0001", 250.5)));
  ASSERT_OK(AppendHistory(dir / "state", SampleRecord("VM0002", 0)));
  auto h = ReadHistory(dir / "state");
  ASSERT_OK(h);
  ASSERT_EQ(h->records.size(), 2u);
  EXPECT_EQ(h->skipped_lines, 0);
  const HistoryRecord& r = h->records[0];
  EXPECT_EQ(r.volser, "VM0001");
  EXPECT_EQ(r.tracks_copied, 154127u);
  EXPECT_EQ(r.tracks_recopied, 3873u);
  EXPECT_DOUBLE_EQ(r.phases.copy, 130.5);
  EXPECT_DOUBLE_EQ(r.longest_pause_ms, 12.5);
  EXPECT_EQ(r.message, "quote \" and \\ back");
  auto rate = LastCopyRateMBps(dir / "state");
  ASSERT_OK(rate);
  ASSERT_TRUE(rate->has_value());
  EXPECT_DOUBLE_EQ(**rate, 250.5);  // the newest record has no rate
}

TEST(History, TornLastLineIsIgnoredAndNextAppendStartsFresh) {
  ScratchDir dir;
  ASSERT_OK(AppendHistory(dir.path(), SampleRecord("VM0001", 100)));
  std::string full = HistoryRecordJson(SampleRecord("VM0002", 200));
  {
    std::ofstream f(dir / kHistoryFileName, std::ios::app);
    f << full.substr(0, full.size() / 2);  // a writer died mid-line
  }
  auto h = ReadHistory(dir.path());
  ASSERT_OK(h);
  ASSERT_EQ(h->records.size(), 1u);
  EXPECT_EQ(h->skipped_lines, 1);
  ASSERT_OK(AppendHistory(dir.path(), SampleRecord("VM0003", 300)));
  h = ReadHistory(dir.path());
  ASSERT_OK(h);
  ASSERT_EQ(h->records.size(), 2u);
  EXPECT_EQ(h->records[1].volser, "VM0003");
  EXPECT_EQ(h->skipped_lines, 1);
}

TEST(History, ConcurrentAppendsAllLand) {
  ScratchDir dir;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&dir, t] {
      for (int i = 0; i < 25; ++i) {
        EXPECT_OK(AppendHistory(dir.path(), SampleRecord("V" + std::to_string(t * 100 + i), 1)));
      }
    });
  }
  for (auto& th : threads) th.join();
  auto h = ReadHistory(dir.path());
  ASSERT_OK(h);
  EXPECT_EQ(h->records.size(), 100u);
  EXPECT_EQ(h->skipped_lines, 0);
}

TEST(History, StateDirResolution) {
  auto d = ResolveStateDir("/explicit");
  ASSERT_OK(d);
  EXPECT_EQ(*d, "/explicit");
}

TEST(HistoryCommand, ListsTableAndJson) {
  ScratchDir dir;
  ASSERT_OK(AppendHistory(dir.path(), SampleRecord("VM1887", 250)));
  auto r = pas::testing::Run({PAS_BINARY, "history", "--state-dir", dir.path()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("VM1887"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("154,127"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("1887-B887"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("2:11"), std::string::npos) << r.out;  // copy phase 130.5 s
  auto j = pas::testing::Run({PAS_BINARY, "history", "--json"}, "", {"PAS_STATE_DIR=" + dir.path()});
  EXPECT_EQ(j.exit_code, 0);
  EXPECT_EQ(j.out, HistoryRecordJson(SampleRecord("VM1887", 250)) + "\n");
  ScratchDir empty;
  auto e = pas::testing::Run({PAS_BINARY, "history", "--state-dir", empty.path()});
  EXPECT_EQ(e.exit_code, 0);
  EXPECT_NE(e.out.find("PAS500I"), std::string::npos);
}

const char* kSeedDeck =
    "*SIMSWAP  TYPE=FULL, LARGERSIZE=OK, MAXTASKS=4, NONRESPONDING=FAIL\n"
    "*SWAPDUMP TYPE=FULL, LARGERSIZE=OK, MAXTASKS=32, NONRESPONDING=FAIL\n"
    "  SWAP  TYPE=FULL, LARGERSIZE=OK, MAXTASKS=32, NONRESPONDING=FAIL\n"
    "  MOUNT VOL=VM1887, SWAPUNIT=B887\n";

// A system with the seed's source volume VM1887 on 1887 and an empty
// offline target on B887, so the seed's deck really runs.
std::string SeedSystem(const ScratchDir& dir) {
  for (auto [file, volser] : {std::pair{"src.ckd", "VM1887"}, std::pair{"tgt.ckd", "SCRTCH"}}) {
    auto init = pas::testing::Run({PAS_BINARY, "volume", "init", dir / file, "--model", "3390-1",
                                   "--volser", volser, "--cylinders", "10", "--vtoc"});
    EXPECT_EQ(init.exit_code, 0) << init.out << init.err;
  }
  WriteFile(dir / "sys.cnf", "LPARNAME SYSA\n1887 3390 src.ckd\nB887 3390 tgt.ckd\nOFFLINE B887\n");
  return dir / "sys.cnf";
}

TEST(RunCommand, GoodDeckFromFileEchoesAndSucceeds) {
  ScratchDir dir;
  std::string config = SeedSystem(dir);
  WriteFile(dir / "seed.deck", kSeedDeck);
  auto r = pas::testing::Run({PAS_BINARY, "run", dir / "seed.deck", "--config", config, "--json", dir / "r.json"},
                             "", {"PAS_STATE_DIR=" + (dir / "state"), "PAS_RUNTIME_DIR=" + (dir / "run")});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("  SWAP  TYPE=FULL, LARGERSIZE=OK, MAXTASKS=32, NONRESPONDING=FAIL"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("*SWAPDUMP TYPE=FULL"), std::string::npos);
  EXPECT_NE(r.out.find("PAS329I STATEMENTS VALID: SWAP OF 1 VOLUME(S), MAXTASKS=32"), std::string::npos);
  EXPECT_NE(r.out.find("PAS241I PAS SUCCESSFULLY COMPLETED SWAP OF VOL=VM1887 TO UNIT=B887"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("PAS SUCCESSFULLY COMPLETED"), std::string::npos);
  const std::string json = ReadFile(dir / "r.json");
  EXPECT_NE(json.find("\"function\": \"SWAP\""), std::string::npos);
  // This system's own part in the swap is in the JSON report too.
  EXPECT_NE(json.find("PAS234I SYSA"), std::string::npos) << json;
  EXPECT_NE(json.find("PAS237I SYSA SWAPPED UNIT=1887 TO B887"), std::string::npos) << json;
  auto h = ReadHistory(dir / "state");
  ASSERT_OK(h);
  ASSERT_EQ(h->records.size(), 1u);
  EXPECT_EQ(h->records[0].exit_condition_code, 0);
}

TEST(RunCommand, UnwritableJsonReportIsAnErrorOfTheJob) {
  ScratchDir dir;
  std::string config = SeedSystem(dir);
  auto r = pas::testing::Run({PAS_BINARY, "run", "--config", config, "--json", dir / "no/such/dir/r.json"},
                             "SIMSWAP TYPE=FULL\nMOUNT VOL=VM1887,SWAPUNIT=B887\n",
                             {"PAS_STATE_DIR=" + (dir / "state"), "PAS_RUNTIME_DIR=" + (dir / "run")});
  EXPECT_EQ(r.exit_code, 8) << r.out << r.err;
  EXPECT_NE(r.out.find("PAS504E CANNOT WRITE JSON REPORT " + dir / "no/such/dir/r.json"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("HIGHEST CONDITION CODE 8"), std::string::npos) << r.out;
  // The history holds what the job exited with.
  auto h = ReadHistory(dir / "state");
  ASSERT_OK(h);
  ASSERT_EQ(h->records.size(), 1u);
  EXPECT_EQ(h->records[0].condition_code, 0);
  EXPECT_EQ(h->records[0].exit_condition_code, 8);
}

TEST(RunCommand, DeckWithoutConfigurationCannotRun) {
  auto r = pas::testing::Run({PAS_BINARY, "run", "-"}, kSeedDeck, {"PAS_CONFIG="});
  EXPECT_EQ(r.exit_code, 12) << r.out << r.err;
  EXPECT_NE(r.out.find("PAS300I PAS CONTROL STATEMENTS FROM <stdin>"), std::string::npos);
}

TEST(RunCommand, DeckFromStandardInput) {
  ScratchDir dir;
  std::string config = SeedSystem(dir);
  auto r = pas::testing::Run({PAS_BINARY, "run", "-"}, "SIMSWAP TYPE=FULL\nMOUNT VOL=VM1887,SWAPUNIT=B887\n",
                             {"PAS_CONFIG=" + config, "PAS_STATE_DIR=" + (dir / "state"),
                              "PAS_RUNTIME_DIR=" + (dir / "run")});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("PAS300I PAS CONTROL STATEMENTS FROM <stdin>"), std::string::npos);
}

TEST(RunCommand, BadDeckGivesEveryErrorWithLocationAndCaret) {
  ScratchDir dir;
  WriteFile(dir / "bad.deck", "SWAP TYPE=FULL,MAXTASKS=0\nMOUNT VOL=A,SWAPUNIT=B8G7\n");
  auto r = pas::testing::Run({PAS_BINARY, "run", dir / "bad.deck"});
  EXPECT_EQ(r.exit_code, 12);
  EXPECT_NE(r.err.find(dir / "bad.deck" + ":1:25: PAS306E VALUE 0 OF MAXTASKS IS OUT OF RANGE 1-100\n"
                       "  SWAP TYPE=FULL,MAXTASKS=0\n"
                       "                          ^\n"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find(":2:22: PAS312E"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("HIGHEST CONDITION CODE 12"), std::string::npos) << r.out;
}

TEST(RunCommand, WarningsGiveConditionCode4) {
  ScratchDir dir;
  std::string config = SeedSystem(dir);
  auto r = pas::testing::Run({PAS_BINARY, "run", "--config", config},
                             "SIMSWAP TYPE=FULL,ALLOWPAV=YES\nMOUNT VOL=VM1887,SWAPUNIT=B887\n",
                             {"PAS_STATE_DIR=" + (dir / "state"), "PAS_RUNTIME_DIR=" + (dir / "run")});
  EXPECT_EQ(r.exit_code, 4) << r.out << r.err;
  EXPECT_NE(r.err.find("<stdin>:1:19: PAS320W"), std::string::npos) << r.err;
}

TEST(RunCommand, MissingFileAndBinaryInput) {
  ScratchDir dir;
  auto r = pas::testing::Run({PAS_BINARY, "run", dir / "nope.deck"});
  EXPECT_EQ(r.exit_code, 12);
  EXPECT_NE(r.out.find("PAS332E"), std::string::npos) << r.out;
  auto b = pas::testing::Run({PAS_BINARY, "run", "/proc/self/exe"});
  EXPECT_EQ(b.exit_code, 12);
  EXPECT_NE(b.err.find("PAS30"), std::string::npos) << b.err;
}

TEST(RunCommand, SimSwapResolvesMountsAgainstTheConfiguration) {
  ScratchDir dir;
  for (auto [file, volser] : {std::pair{"src.ckd", "VM1887"}, std::pair{"tgt.ckd", "SCRTCH"}}) {
    auto init = pas::testing::Run({"dasdinit", dir / file, "3390-1", volser, "10"});
    ASSERT_EQ(init.exit_code, 0) << "dasdinit (Debian hercules) is required: " << init.err;
  }
  WriteFile(dir / "sys.cnf", "LPARNAME SYSA\n1887 3390 src.ckd\nB887 3390 tgt.ckd\nOFFLINE B887\n");
  auto r = pas::testing::Run({PAS_BINARY, "run", "--config", dir / "sys.cnf", "--json", dir / "r.json"},
                             "SIMSWAP TYPE=FULL\nMOUNT VOL=VM1887,SWAPUNIT=B8**\n"
                             "MOUNT VOL=NOSUCH,SWAPUNIT=B886\n",
                             {"PAS_STATE_DIR=" + (dir / "state")});
  EXPECT_EQ(r.exit_code, 8) << r.out << r.err;
  EXPECT_NE(r.out.find("PAS325I VOL=VM1887 FOUND ON UNIT=1887, TARGET UNIT=B887"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("PAS316E PAS DID NOT FIND REQUESTED MOUNT SWAP VOL=NOSUCH"), std::string::npos)
      << r.out;
  auto h = ReadHistory(dir / "state");
  ASSERT_OK(h);
  ASSERT_EQ(h->records.size(), 2u);
  EXPECT_EQ(h->records[0].status, "SIMULATED");
  EXPECT_EQ(h->records[0].target_unit, "B887");
  EXPECT_EQ(h->records[1].status, "FAILED");
  EXPECT_EQ(h->records[0].exit_condition_code, 8);
  EXPECT_EQ(h->records[1].exit_condition_code, 8);
  EXPECT_NE(ReadFile(dir / "r.json").find("\"condition_code\": 8"), std::string::npos);
}

}  // namespace
}  // namespace pas::report
