#include "host/config.h"

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>

#include "test_util.h"

namespace pas::host {
namespace {

using ::pas::testing::ScratchDir;
using ::pas::testing::WriteFile;

const char kSeedConfig[] = R"(# VMLAB63B, a hercules.cnf with pas statements
CPUSERIAL 04e2062818
CPUMODEL  2817
MAINSIZE  2048
NUMCPU    2
ARCHMODE  z/Arch
LPARNAME  vmlab63b

0009  3215-C / noprompt
000C  3505  ./rdr.txt  autopad
000E  1403  prt.txt
0580  3420  *
0A00.4 3270
0120  3310  fba.img
1880 3390 vols/63bres.ckd      # the IPL volume
1881 3390 vols/63bcom.ckd sf=shadow/63bcom_*.ckd
1882 3390 /abs/63brel.ckd
1883 3390 vols/63bsp1.ckd
1884 3390 vols/63bpg1.ckd
1885 3390 vols/63bw01.ckd
1886 3390 "vols/vm 1886.ckd"
1887 3380 vols/vm1887.ckd
cpowned 1880-1881
CPOWNED 1883 1884
OFFLINE 1886-1887
ATTACH 1885 linux01
ALLOC 1880 DRCT 1-20
ALLOC 1883 SPOOL 1-10016
ALLOC 1884 page 1-10016
ALLOC 1880 TDISK 21-30
)";

TEST(ConfigTest, ParsesSeedLikeConfiguration) {
  auto r = ParseSystemConfig(kSeedConfig, "/etc/pas/vmlab63b.cnf");
  ASSERT_OK(r);
  const SystemConfig& c = *r;
  EXPECT_EQ(c.path, "/etc/pas/vmlab63b.cnf");
  EXPECT_EQ(c.name, "VMLAB63B");
  EXPECT_EQ(c.cpu_serial, "04E2062818");
  ASSERT_EQ(c.units.size(), 8u);
  EXPECT_EQ(c.units[0].devnum, 0x1880);
  EXPECT_EQ(c.units[0].device_type, 0x3390);
  EXPECT_EQ(c.units[0].image_path, "/etc/pas/vols/63bres.ckd");
  EXPECT_EQ(c.units[0].line, 15);
  EXPECT_EQ(c.units[1].image_path, "/etc/pas/vols/63bcom.ckd");
  EXPECT_EQ(c.units[2].image_path, "/abs/63brel.ckd");
  EXPECT_EQ(c.units[6].image_path, "/etc/pas/vols/vm 1886.ckd");
  EXPECT_EQ(c.units[7].device_type, 0x3380);

  const bool owned[] = {true, true, false, true, true, false, false, false};
  const bool offline[] = {false, false, false, false, false, false, true, true};
  for (size_t i = 0; i < 8; ++i) {
    EXPECT_EQ(c.units[i].cp_owned, owned[i]) << FormatDevnum(c.units[i].devnum);
    EXPECT_EQ(c.units[i].offline, offline[i]) << FormatDevnum(c.units[i].devnum);
  }
  EXPECT_EQ(c.FindUnit(0x1885)->attached_to, "LINUX01");
  EXPECT_EQ(c.FindUnit(0x1884)->attached_to, "");
  EXPECT_EQ(c.FindUnit(0x0009), nullptr);  // console: ignored

  const UnitConfig* res = c.FindUnit(0x1880);
  ASSERT_EQ(res->allocs.size(), 2u);
  EXPECT_EQ(res->allocs[0].type, AllocType::kDrct);
  EXPECT_EQ(res->allocs[0].first_cyl, 1u);
  EXPECT_EQ(res->allocs[0].last_cyl, 20u);
  EXPECT_EQ(res->allocs[0].line, 27);
  EXPECT_EQ(res->allocs[1].type, AllocType::kTdisk);
  const UnitConfig* pg = c.FindUnit(0x1884);
  ASSERT_EQ(pg->allocs.size(), 1u);
  EXPECT_EQ(pg->allocs[0].type, AllocType::kPage);
  EXPECT_EQ(pg->allocs[0].last_cyl, 10016u);
  EXPECT_STREQ(AllocTypeName(AllocType::kSpool), "SPOOL");
}

// The device options after the file name are kept as written (the
// intercept passes them on when it makes Hercules reopen a unit).
TEST(ConfigTest, DeviceOperandsAfterTheFileAreKept) {
  auto r = ParseSystemConfig("LPARNAME SYSA\n0A80 3390 a.ckd cu=3990 nolazywrite # note\n0A81 3390 b.ckd\n",
                             "/x/s.cnf");
  ASSERT_OK(r);
  EXPECT_EQ(r->units[0].operands, (std::vector<std::string>{"cu=3990", "nolazywrite"}));
  EXPECT_TRUE(r->units[1].operands.empty());
}

TEST(ConfigTest, SysnameIsAcceptedAndStatementsMayPrecedeDevices) {
  auto r = ParseSystemConfig("ALLOC 100 PAGE 0-5\nCPOWNED 100\nSYSNAME s1\n100 3390 a.ckd\n",
                             "/x/s1.cnf");
  ASSERT_OK(r);
  EXPECT_EQ(r->name, "S1");
  ASSERT_EQ(r->units.size(), 1u);
  EXPECT_EQ(r->units[0].devnum, 0x0100);
  EXPECT_TRUE(r->units[0].cp_owned);
  ASSERT_EQ(r->units[0].allocs.size(), 1u);
  EXPECT_EQ(r->units[0].allocs[0].first_cyl, 0u);
  EXPECT_EQ(r->cpu_serial, "");
}

TEST(ConfigTest, RelativeConfigPathGivesAbsoluteImagePaths) {
  auto r = ParseSystemConfig("LPARNAME A\n1880 3390 v.ckd\n", "cfg/a.cnf");
  ASSERT_OK(r);
  const std::string& p = r->units[0].image_path;
  ASSERT_FALSE(p.empty());
  EXPECT_EQ(p.front(), '/');
  EXPECT_NE(p.find("/cfg/v.ckd"), std::string::npos) << p;
}

TEST(ConfigTest, OfflineRangeNeedsOnlyOneDefinedUnit) {
  auto r = ParseSystemConfig("LPARNAME A\nB880 3390 a.ckd\nB882 3390 b.ckd\nOFFLINE B880-B88F\n",
                             "/c/a.cnf");
  ASSERT_OK(r);
  EXPECT_TRUE(r->units[0].offline);
  EXPECT_TRUE(r->units[1].offline);
}

struct BadCase {
  const char* text;
  const char* expect;  // substring of the error, after "file:line: "
  int line;
};

// Names the case in test listings (instead of a dump of its bytes).
inline void PrintTo(const BadCase& c, std::ostream* os) { *os << c.expect; }

class ConfigErrorTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(ConfigErrorTest, NamesFileLineAndMessage) {
  const BadCase& c = GetParam();
  auto r = ParseSystemConfig(c.text, "/cfg/bad.cnf");
  ASSERT_FALSE(r.ok()) << c.text;
  EXPECT_TRUE(r.status().IsInvalidArgument());
  const std::string want = "/cfg/bad.cnf:" + std::to_string(c.line) + ": " + c.expect;
  EXPECT_NE(r.status().message().find(want), std::string::npos)
      << "got: " << r.status().message() << "\nwant: " << want;
}

INSTANTIATE_TEST_SUITE_P(
    Errors, ConfigErrorTest,
    ::testing::Values(
        BadCase{"LPARNAME A\n1880 3390 a.ckd\n1880 3390 b.ckd\n", "PAS156E DUPLICATE UNIT 1880", 3},
        BadCase{"LPARNAME A\n1880 3391 a.ckd\n", "PAS152E UNKNOWN DEVICE TYPE 3391", 2},
        BadCase{"LPARNAME A\n1880 disk a.ckd\n", "PAS152E UNKNOWN DEVICE TYPE disk", 2},
        BadCase{"LPARNAME A\n\n1880 3350 a.ckd\n", "PAS153E DEVICE TYPE 3350", 3},
        BadCase{"LPARNAME A\n1880 3390\n", "PAS169E DASD UNIT 1880 HAS NO IMAGE FILE", 2},
        BadCase{"LPARNAME A\n1880-1881 3390 a.ckd\n", "PAS165E", 2},
        BadCase{"LPARNAME A\n1880 3390 a.ckd\nCPOWNED 188G\n", "PAS154E INVALID UNIT 188G", 3},
        BadCase{"LPARNAME A\n1880 3390 a.ckd\nOFFLINE 1887-1880\n", "PAS155E REVERSED UNIT RANGE",
                3},
        BadCase{"LPARNAME A\n1880 3390 a.ckd\nOFFLINE\n", "PAS169E OFFLINE", 3},
        BadCase{"LPARNAME A\n1880 3390 a.ckd\nCPOWNED 1881\n", "PAS157E CPOWNED NAMES UNIT 1881",
                3},
        BadCase{"LPARNAME A\n1880 3390 a.ckd\nOFFLINE 1890-189F\n",
                "PAS157E OFFLINE NAMES UNIT RANGE 1890-189F", 3},
        BadCase{"LPARNAME A\n1880 3390 a.ckd\nATTACH 1881 LINUX01\n",
                "PAS157E ATTACH NAMES UNIT 1881", 3},
        BadCase{"LPARNAME A\n1880 3390 a.ckd\nATTACH 1880\n", "PAS169E ATTACH", 3},
        BadCase{"LPARNAME A\n1880 3390 a.ckd\nATTACH 1880 TOOLONGUSER\n", "PAS161E INVALID USERID",
                3},
        BadCase{"LPARNAME A\n1880 3390 a.ckd\nATTACH 1880 U1\nATTACH 1880 U2\n", "PAS163E", 4},
        BadCase{"LPARNAME A\n1880 3390 a.ckd\nCPOWNED 1880\nALLOC 1880 SWAP 1-2\n",
                "PAS158E INVALID ALLOCATION TYPE SWAP", 4},
        BadCase{"LPARNAME A\n1880 3390 a.ckd\nCPOWNED 1880\nALLOC 1880 PAGE 20-1\n",
                "PAS155E REVERSED CYLINDER RANGE 20-1", 4},
        BadCase{"LPARNAME A\n1880 3390 a.ckd\nCPOWNED 1880\nALLOC 1880 PAGE 1-x\n", "PAS159E", 4},
        BadCase{"LPARNAME A\n1880 3390 a.ckd\nCPOWNED 1880\nALLOC 1880 PAGE 1-70000\n", "PAS159E",
                4},
        BadCase{"LPARNAME A\n1880 3390 a.ckd\nCPOWNED 1880\nALLOC 1880 PAGE\n", "PAS169E ALLOC", 4},
        BadCase{"LPARNAME A\n1880 3390 a.ckd\nCPOWNED 1880\nALLOC 1880 PAGE 1-10\nALLOC 1880 SPOOL "
                "10-12\n",
                "PAS164E", 5},
        BadCase{"LPARNAME A\n1880 3390 a.ckd\nALLOC 1880 PAGE 1-10\n", "PAS167E", 3},
        BadCase{"LPARNAME A\n1880 3390 a.ckd\nCPOWNED 1880\nATTACH 1880 LINUX01\n", "PAS166E", 4},
        BadCase{"LPARNAME A\nLPARNAME B\n", "PAS162E", 2},
        BadCase{"LPARNAME A B\n", "PAS169E LPARNAME", 1},
        BadCase{"LPARNAME ABCDEFGHIJ\n", "PAS161E", 1},
        BadCase{"LPARNAME A\nCPUSERIAL XYZ\n", "PAS154E CPUSERIAL XYZ", 2},
        BadCase{"LPARNAME A\n1880 3390 \"a.ckd\n", "PAS169E UNTERMINATED", 2}));

TEST(ConfigTest, MissingLparnameIsAnError) {
  auto r = ParseSystemConfig("1880 3390 a.ckd\n", "/cfg/x.cnf");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("/cfg/x.cnf: PAS160E"), std::string::npos)
      << r.status().message();
}

TEST(ConfigTest, CommentsAndCrLfAndHerculesStatementsAreIgnored) {
  auto r = ParseSystemConfig(
      "# comment\r\n  \r\nLPARNAME A # trailing\r\nDIAG8CMD ENABLE\r\nHTTPPORT 8081\r\n"
      "1880 3390 vols/a#1.ckd # path keeps an embedded #\r\n",
      "/c/a.cnf");
  ASSERT_OK(r);
  EXPECT_EQ(r->name, "A");
  ASSERT_EQ(r->units.size(), 1u);
  EXPECT_EQ(r->units[0].image_path, "/c/vols/a#1.ckd");
}

TEST(ConfigTest, LoadReadsFileAndReportsMissingFile) {
  ScratchDir dir;
  WriteFile(dir / "sys.cnf", "LPARNAME SYS1\n1880 3390 v/a.ckd\n");
  auto r = LoadSystemConfig(dir / "sys.cnf");
  ASSERT_OK(r);
  EXPECT_EQ(r->units[0].image_path, dir / "v/a.ckd");
  auto missing = LoadSystemConfig(dir / "none.cnf");
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(missing.status().IsIoError());
  EXPECT_NE(missing.status().message().find("PAS150E"), std::string::npos);
  auto directory = LoadSystemConfig(dir.path());
  ASSERT_FALSE(directory.ok());
  EXPECT_TRUE(directory.status().IsIoError());
  EXPECT_NE(directory.status().message().find("PAS150E"), std::string::npos)
      << directory.status().ToString();
}

TEST(ConfigTest, ResolveConfigPathPrefersExplicitThenEnvironment) {
  ::setenv("PAS_CONFIG", "/from/env.cnf", 1);
  auto a = ResolveConfigPath("/given.cnf");
  ASSERT_OK(a);
  EXPECT_EQ(*a, "/given.cnf");
  auto b = ResolveConfigPath("");
  ASSERT_OK(b);
  EXPECT_EQ(*b, "/from/env.cnf");
  ::unsetenv("PAS_CONFIG");
  auto c = ResolveConfigPath("");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("PAS168E"), std::string::npos);
}

TEST(ConfigTest, DevnumHelpers) {
  EXPECT_EQ(ParseDevnum("1887"), 0x1887);
  EXPECT_EQ(ParseDevnum("e"), 0x000E);
  EXPECT_EQ(ParseDevnum("b88f"), 0xB88F);
  EXPECT_FALSE(ParseDevnum("12345").has_value());
  EXPECT_FALSE(ParseDevnum("").has_value());
  EXPECT_FALSE(ParseDevnum("12G4").has_value());
  auto r = ParseDevnumRange("1880-1887");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->first, 0x1880);
  EXPECT_EQ(r->second, 0x1887);
  auto one = ParseDevnumRange("1887");
  ASSERT_TRUE(one.has_value());
  EXPECT_EQ(one->first, one->second);
  EXPECT_FALSE(ParseDevnumRange("1887-1880").has_value());
  EXPECT_FALSE(ParseDevnumRange("1880-").has_value());
  EXPECT_EQ(FormatDevnum(0x48E), "048E");
  EXPECT_EQ(FormatDevnum(0xB887), "B887");
}

}  // namespace
}  // namespace pas::host

namespace pas::host {
namespace {

// The one file Hercules and pas both read: pas-only statements behind
// "#PAS " (Hercules sees comments), options after the image name.
const char kSharedConfig[] = R"(CPUSERIAL 012345
LPARNAME SYSA
HTTPPORT 8081 NOAUTH
0A80 3390 /v/a.ckd sf=/v/shadow/a_*.ckd ro
0A81 3390 /v/b.ckd cu=3990
#PAS 0B80 3390 /v/t.ckd
#pas OFFLINE 0B80
#PAS CPOWNED 0A80
#PAS ALLOC 0A80 PAGE 1-9
#PASSWORD is a comment, so is
#  PAS 0B81 3390 /v/u.ckd
)";

TEST(ConfigTest, PasOnlyStatementsBehindHashPas) {
  auto c = ParseSystemConfig(kSharedConfig, "/etc/h.cnf");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_EQ(c->units.size(), 3u);
  EXPECT_EQ(c->units[0].image_path, "/v/a.ckd");
  EXPECT_EQ(c->units[1].image_path, "/v/b.ckd");
  EXPECT_EQ(c->units[2].devnum, 0x0B80);
  EXPECT_EQ(c->units[2].line, 6);
  EXPECT_TRUE(c->units[2].offline);
  EXPECT_FALSE(c->units[0].offline);
  EXPECT_TRUE(c->units[0].cp_owned);
  ASSERT_EQ(c->units[0].allocs.size(), 1u);
  // A malformed #PAS statement is an error like any other.
  auto bad = ParseSystemConfig(std::string(kSharedConfig) + "#PAS OFFLINE ZZZZ\n", "/etc/h.cnf");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("/etc/h.cnf:12: PAS154E"), std::string::npos) << bad.status().message();
}

TEST(ConfigTest, ExchangeUnitImagesKeepsEverythingElse) {
  auto out = ExchangeUnitImages(kSharedConfig, "/etc/h.cnf", 0x0A80, 0x0B80);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  std::string want = kSharedConfig;
  want.replace(want.find("/v/a.ckd sf"), 8, "/v/t.ckd");
  want.replace(want.find("#PAS 0B80 3390 /v/t.ckd"), 23, "#PAS 0B80 3390 /v/a.ckd");
  EXPECT_EQ(*out, want);
  auto c = ParseSystemConfig(*out, "/etc/h.cnf");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->FindUnit(0x0A80)->image_path, "/v/t.ckd");
  EXPECT_EQ(c->FindUnit(0x0B80)->image_path, "/v/a.ckd");
  // Quoted names keep their quotes; a unit without a statement is NotFound.
  auto q = ExchangeUnitImages("LPARNAME X\n1 3390 \"a b.ckd\"\n2 3390 c.ckd\n", "/d/x.cnf", 1, 2);
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(*q, "LPARNAME X\n1 3390 c.ckd\n2 3390 \"a b.ckd\"\n");
  EXPECT_FALSE(ExchangeUnitImages(kSharedConfig, "/etc/h.cnf", 0x0A80, 0x0C00).ok());
}

TEST(ConfigTest, RewriteAfterSwapIsAtomicKeepsThePreviousAndRunsOnce) {
  ScratchDir dir;
  const std::string a = dir / "a.ckd", t = dir / "t.ckd";
  WriteFile(a, "");
  WriteFile(t, "");
  const std::string text = "LPARNAME SYSA\n0A80 3390 a.ckd cu=3990\n#PAS 0B80 3390 t.ckd\n#PAS OFFLINE 0B80\n";
  WriteFile(dir / "real.cnf", text);
  ASSERT_EQ(::chmod((dir / "real.cnf").c_str(), 0640), 0);
  // Rewritten where a symlinked configuration points.
  std::filesystem::create_symlink(dir / "real.cnf", dir / "h.cnf");
  auto r = RewriteConfigAfterSwap(dir / "h.cnf", 0x0A80, 0x0B80, a);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(*r);
  EXPECT_TRUE(std::filesystem::is_symlink(dir / "h.cnf"));
  EXPECT_EQ(::pas::testing::ReadFile(dir / "real.cnf"),
            "LPARNAME SYSA\n0A80 3390 t.ckd cu=3990\n#PAS 0B80 3390 a.ckd\n#PAS OFFLINE 0B80\n");
  EXPECT_EQ(::pas::testing::ReadFile(dir / "real.cnf.prev"), text);
  struct stat st {};
  ASSERT_EQ(::stat((dir / "real.cnf").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  // The second call for the same swap changes nothing.
  r = RewriteConfigAfterSwap(dir / "h.cnf", 0x0A80, 0x0B80, a);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(*r);
  EXPECT_EQ(::pas::testing::ReadFile(dir / "real.cnf.prev"), text);
  // No temporary file is left.
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) files += e.path().filename().string()[0] == '.';
  EXPECT_EQ(files, 0);
}

}  // namespace
}  // namespace pas::host
