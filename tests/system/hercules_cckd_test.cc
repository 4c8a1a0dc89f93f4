// Compressed (CCKD) volumes and a real Hercules, both ways (the oracle of
// doc/cckd-live.md and doc/ckd-format.md section 7):
//  - a compressed image written by pas (`pas volume copy --compress`) is a
//    volume Hercules IPLs the test guest from: the guest finds its device,
//    writes, and every write it saw complete is then on the image as pas
//    reads it; `cckdcdsk -3` and dasdls accept the image Hercules left;
//  - a compressed image made by the Hercules tools (`dasdcopy -z`) and
//    written by Hercules is read by pas, copied by pas to an uncompressed
//    image, and Hercules IPLs the guest from that copy.
// Hercules runs plain here (no pas exec): these are format oracles.
#include <gtest/gtest.h>

#include "ckd/image.h"
#include "system/hercules_fixture.h"

namespace pas::swaptest {
namespace {

class HerculesCckd : public HerculesFixture {
 protected:
  static std::string Cdsk(const std::string& image) {
    ProcessResult r = pas::testing::Run({"cckdcdsk", "-3", "-ro", image}, "", {}, 60);
    return r.exit_code == 0 ? r.out + r.err : "rc " + std::to_string(r.exit_code) + ": " + r.out + r.err;
  }

  // Runs the guest under a plain Hercules on `image` until it completed
  // `writes` more writes, stops it, ends Hercules; returns its counters.
  hercules::GuestCounters RunGuest(const std::string& name, const std::string& image, uint32_t first_track,
                                   uint32_t tracks, uint32_t writes, hercules::GuestParams* params) {
    HerculesSystem& h = NewSystem(name);
    h.params.first_track = first_track;
    h.params.tracks = tracks;
    h.params.delay_us = 20;
    h.config = HerculesConfig(name, "0A0001", h.port, image, {});
    const std::string why = StartHercules(h, /*plain=*/true);
    EXPECT_EQ(why, "") << why;
    if (!why.empty()) return {};
    const hercules::GuestCounters first = Counters(h);
    EXPECT_TRUE(WaitForWrites(h, first.writes, writes)) << Log(h);
    const hercules::GuestCounters c = StopGuest(h);
    EXPECT_EQ(c.state, 2u) << hercules::GuestStateName(c.state);
    EXPECT_EQ(c.errors, 0u);
    Quit(h);
    *params = h.params;
    return c;
  }
};

TEST_F(HerculesCckd, HerculesIplsTheGuestFromACckdImageWrittenByPas) {
  const std::string missing = MissingTools();
  ASSERT_EQ(missing, "") << missing;
  for (const char* method : {"zlib", "bzip2"}) {
    SCOPED_TRACE(method);
    uint32_t first = 0;
    const std::string plain = GuestVolume(std::string("vm1887-") + method + ".ckd", "VM1887", 60, &first);
    const std::string cckd = dir_ / (std::string("vm1887-") + method + ".cckd");
    ProcessResult copy = Pas({"volume", "copy", plain, cckd, "--compress", method});
    ASSERT_EQ(copy.exit_code, 0) << copy.out << copy.err;
    std::filesystem::remove(plain);
    {
      auto img = ckd::CkdImage::Open(cckd, false);
      ASSERT_OK(img);
      ASSERT_TRUE(img->compressed());
    }
    ASSERT_EQ(Cdsk(cckd), "") << "the image pas wrote";

    hercules::GuestParams params;
    const hercules::GuestCounters c = RunGuest(std::string("SYS") + (method[0] == 'z' ? "Z" : "B"), cckd, first, 60,
                                               2000, &params);
    ASSERT_GT(c.writes, 0u);
    // Every write the guest saw complete is on the image, as pas reads it,
    // and the guest's own check (pas guest verify's) accepts it.
    const std::string why = CheckAfterStop(cckd, params, c);
    EXPECT_EQ(why, "") << why;
    // What Hercules left is a sound compressed volume for its own tools.
    EXPECT_EQ(Cdsk(cckd), "") << "after Hercules wrote the image pas made";
    EXPECT_TRUE(Contains(Dasdls(cckd), "PAS.GUEST")) << Dasdls(cckd);
    EXPECT_EQ(Volser(cckd), "VM1887");
    std::filesystem::remove(cckd);
  }
}

TEST_F(HerculesCckd, PasCopiesAHerculesWrittenCckdImageToCkdAndHerculesIplsTheCopy) {
  const std::string missing = MissingTools();
  ASSERT_EQ(missing, "") << missing;
  uint32_t first = 0;
  const std::string plain = GuestVolume("vm1887.ckd", "VM1887", 60, &first);
  const std::string cckd = dir_ / "vm1887.cckd";
  ProcessResult dc = pas::testing::RunDasdcopy({"-z", plain, cckd});
  ASSERT_EQ(dc.exit_code, 0) << dc.out << dc.err;
  std::filesystem::remove(plain);

  // Hercules writes the compressed image made by its own tool.
  hercules::GuestParams params;
  const hercules::GuestCounters c1 = RunGuest("SYSH", cckd, first, 60, 300, &params);
  ASSERT_GT(c1.writes, 0u);
  EXPECT_EQ(Cdsk(cckd), "");
  // pas reads it: every completed write is there.
  std::string why = CheckAfterStop(cckd, params, c1);
  EXPECT_EQ(why, "") << why;
  ProcessResult info = Pas({"volume", "info", cckd});
  EXPECT_EQ(info.exit_code, 0) << info.out << info.err;
  EXPECT_TRUE(Contains(info.out, "VM1887")) << info.out;

  // pas copies it to an uncompressed image: equal, and the guest's records too.
  const std::string copy = dir_ / "vm1887-copy.ckd";
  ProcessResult cp = Pas({"volume", "copy", cckd, copy});
  ASSERT_EQ(cp.exit_code, 0) << cp.out << cp.err;
  {
    auto img = ckd::CkdImage::Open(copy, false);
    ASSERT_OK(img);
    EXPECT_FALSE(img->compressed());
  }
  ProcessResult cmp = Pas({"volume", "compare", cckd, copy});
  EXPECT_EQ(cmp.exit_code, 0) << cmp.out << cmp.err;
  why = CheckAfterStop(copy, params, c1);
  EXPECT_EQ(why, "") << why;
  std::filesystem::remove(cckd);

  // Hercules IPLs the guest from the copy and the new run's writes land.
  hercules::GuestParams params2;
  const hercules::GuestCounters c2 = RunGuest("SYSC", copy, first, 60, 300, &params2);
  ASSERT_GT(c2.writes, 0u);
  EXPECT_NE(c2.run_id, c1.run_id);
  why = CheckAfterStop(copy, params2, c2);
  EXPECT_EQ(why, "") << why;
  EXPECT_TRUE(Contains(Dasdls(copy), "PAS.GUEST")) << Dasdls(copy);
  std::filesystem::remove(copy);
}

}  // namespace
}  // namespace pas::swaptest
