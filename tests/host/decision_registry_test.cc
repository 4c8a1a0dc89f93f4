#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

#include "host/decision.h"
#include "host/host_io.h"
#include "host/online_registry.h"
#include "host/unit_table.h"
#include "host_test_util.h"

namespace pas::host {
namespace {

using ::pas::testing::ScratchDir;
using testing::ForkChild;
using testing::MakeConfig;
using testing::MakeVolume;
using testing::SharedArea;
using testing::WaitChild;
using testing::WaitFor;

TEST(Decision, FirstWriterWins) {
  ScratchDir dir;
  std::string path = dir / "t.pas-decision-J1";
  auto none = ReadDecision(path);
  ASSERT_OK(none);
  EXPECT_EQ(Decision::kNone, *none);
  auto first = Decide(path, Decision::kSource);
  ASSERT_OK(first);
  EXPECT_EQ(Decision::kSource, *first);
  auto second = Decide(path, Decision::kSwap);
  ASSERT_OK(second);
  EXPECT_EQ(Decision::kSource, *second);
  EXPECT_EQ(Decision::kSource, *ReadDecision(path));
  EXPECT_TRUE(Decide(path, Decision::kNone).status().IsInvalidArgument());
  ::pas::testing::WriteFile(dir / "bad", "MAYBE\n");
  EXPECT_TRUE(ReadDecision(dir / "bad").status().IsCorruption());
}

TEST(Decision, ConcurrentDecidersAgree) {
  for (int round = 0; round < 5; ++round) {
    ScratchDir dir;
    std::string path = dir / "t.pas-decision-J2";
    constexpr int kProcs = 6;
    auto* got = SharedArea<std::atomic<int>>(kProcs);
    std::vector<pid_t> pids;
    for (int i = 0; i < kProcs; ++i) {
      pids.push_back(ForkChild([&, i] {
        auto d = Decide(path, (i + round) % 2 ? Decision::kSwap : Decision::kSource);
        if (!d.ok()) return 1;
        got[i] = static_cast<int>(*d);
        return 0;
      }));
    }
    for (pid_t p : pids) ASSERT_EQ(0, WaitChild(p));
    auto final_d = ReadDecision(path);
    ASSERT_OK(final_d);
    ASSERT_NE(Decision::kNone, *final_d);
    for (int i = 0; i < kProcs; ++i) EXPECT_EQ(static_cast<int>(*final_d), got[i].load()) << i;
  }
}

// Two systems on one machine: separate unit tables; the same image in
// both gives two entries in its online registry; after one system's
// processes are killed only the live one is listed.
// Every system with the unit online is listed; `live` tells which have a
// process now. Online persists without a process (a fact on the storage)
// until the unit is varied offline.
TEST(OnlineRegistry, ShowsTheOnlineSystemsAndWhichAreLive) {
  ScratchDir dir;
  ::setenv("PAS_RUNTIME_DIR", (dir / "run").c_str(), 1);
  std::string image = dir / "shared.ckd";
  ASSERT_OK(MakeVolume(image));
  SystemConfig a = MakeConfig("SYSA", {{0x0100, image}});
  SystemConfig b = MakeConfig("SYSB", {{0x0200, image}});
  auto* ready = SharedArea<std::atomic<uint32_t>>();
  auto start = [&](const SystemConfig& c, uint16_t devnum) {
    return ForkChild([&, devnum] {
      auto sys = System::Attach(c);
      if (!sys.ok()) return 1;
      auto io = UnitIo::Open(**sys, devnum);
      if (!io.ok()) return 2;
      ready->fetch_add(1);
      for (;;) ::pause();
    });
  };
  std::vector<pid_t> sys_a = {start(a, 0x0100), start(a, 0x0100)};
  std::vector<pid_t> sys_b = {start(b, 0x0200)};
  ASSERT_TRUE(WaitFor([&] { return ready->load() == 3; }));

  EXPECT_TRUE(::access((dir / "run/SYSA.units").c_str(), F_OK) == 0);
  EXPECT_TRUE(::access((dir / "run/SYSB.units").c_str(), F_OK) == 0);
  auto list = ListOnlineSystems(image);
  ASSERT_OK(list);
  ASSERT_EQ(2u, list->size());
  std::set<std::string> names;
  for (const auto& s : *list) names.insert(s.name + "/" + FormatDevnum(s.devnum));
  EXPECT_EQ((std::set<std::string>{"SYSA/0100", "SYSB/0200"}), names);

  // Separate tables: varying the unit offline in SYSA leaves SYSB alone.
  {
    auto sa = System::Attach(a);
    auto sb = System::Attach(b);
    ASSERT_OK(sa);
    ASSERT_OK(sb);
    ASSERT_OK((*sa)->Vary(0x0100, false));
    EXPECT_FALSE((*sa)->Status(0x0100)->online);
    EXPECT_TRUE((*sb)->Status(0x0200)->online);
    EXPECT_TRUE(UnitIo::Open(**sa, 0x0100).status().IsBusy());
    ASSERT_OK((*sa)->Vary(0x0100, true));
  }

  for (pid_t p : sys_a) ::kill(p, SIGKILL);
  for (pid_t p : sys_a) WaitChild(p);
  auto live_names = [&] {
    std::set<std::string> out;
    auto l = ListOnlineSystems(image);
    EXPECT_TRUE(l.ok());
    if (l.ok())
      for (const auto& s : *l) out.insert(s.name + (s.live ? "+live" : "") + (s.varied_online ? "+online" : ""));
    return out;
  };
  EXPECT_EQ((std::set<std::string>{"SYSA+online", "SYSB+live+online"}), live_names());
  for (pid_t p : sys_b) ::kill(p, SIGKILL);
  for (pid_t p : sys_b) WaitChild(p);
  EXPECT_EQ((std::set<std::string>{"SYSA+online", "SYSB+online"}), live_names());
  {
    auto sa = System::Attach(a);
    ASSERT_OK(sa);
    ASSERT_OK((*sa)->Vary(0x0100, false));
  }
  EXPECT_EQ((std::set<std::string>{"SYSB+online"}), live_names());
  ::pas::testing::RestoreIsolatedEnv();
}

// Marker paths beside the image are stored relative to its directory, so a
// system that mounts the storage elsewhere resolves them under its own path.
TEST(OnlineRegistry, MarkerPathsBesideTheImageFollowTheMountPath) {
  ScratchDir dir;
  ASSERT_EQ(::mkdir((dir / "a").c_str(), 0755), 0);
  ASSERT_OK(FreezeRegistry(dir / "a/src.ckd", dir / "a/tgt.ckd.pas-decision-1", dir / "a/tgt.ckd"));
  // The same directory seen through another path (another machine's mount).
  ASSERT_EQ(::symlink((dir / "a").c_str(), (dir / "b").c_str()), 0);
  auto m = ReadMarker(dir / "b/src.ckd");
  ASSERT_OK(m);
  EXPECT_TRUE(m->frozen);
  EXPECT_EQ(m->decision_path, dir / "b/tgt.ckd.pas-decision-1");
  EXPECT_EQ(m->target_image, dir / "b/tgt.ckd");
  // A target elsewhere keeps its full path.
  ASSERT_OK(MarkMoved(dir / "a/src.ckd", "/elsewhere/tgt.ckd"));
  m = ReadMarker(dir / "b/src.ckd");
  ASSERT_OK(m);
  EXPECT_EQ(m->target_image, "/elsewhere/tgt.ckd");
}

TEST(OnlineRegistry, NoRegistryMeansNoSystems) {
  ScratchDir dir;
  auto list = ListOnlineSystems(dir / "nothing.ckd");
  ASSERT_OK(list);
  EXPECT_TRUE(list->empty());
}

// A frozen registry holds an Open of a system that is not yet registered
// until the decision exists, then follows it to the target.
TEST(OnlineRegistry, FrozenOpenWaitsThenFollowsSwap) {
  ScratchDir dir;
  ::setenv("PAS_RUNTIME_DIR", (dir / "run").c_str(), 1);
  std::string source = dir / "src.ckd", target = dir / "tgt.ckd";
  ASSERT_OK(MakeVolume(source));
  ASSERT_OK(MakeVolume(target));
  std::string decision = dir / "tgt.ckd.pas-decision-J9";
  ASSERT_OK(FreezeRegistry(source, decision, target));
  auto marker = ReadMarker(source);
  ASSERT_OK(marker);
  EXPECT_TRUE(marker->frozen);
  EXPECT_EQ(target, marker->target_image);
  auto* opened = SharedArea<std::atomic<uint32_t>>();
  pid_t child = ForkChild([&] {
    auto sys = System::Attach(MakeConfig("SYSC", {{0x0300, source}}));
    if (!sys.ok()) return 1;
    auto io = UnitIo::Open(**sys, 0x0300);
    if (!io.ok()) return 2;
    opened->store(1);
    return io->image_path() == target ? 0 : 3;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(0u, opened->load());  // still waiting for the decision
  ASSERT_OK(Decide(decision, Decision::kSwap));
  EXPECT_EQ(0, WaitChild(child, 20));
  ASSERT_OK(MarkMoved(source, target));
  marker = ReadMarker(source);
  EXPECT_TRUE(marker->moved);
  EXPECT_FALSE(marker->frozen);
  ::pas::testing::RestoreIsolatedEnv();
}

// A unit whose volume was swapped while no process of its system had it
// online still names the old image in the unit table; the next process of
// the system that attaches points it at the target (a chain of swaps is
// followed to its end), so `pas display` and the I/O agree with the swap.
TEST(OnlineRegistry, AttachFollowsMovedVolumes) {
  ScratchDir dir;
  ::setenv("PAS_RUNTIME_DIR", (dir / "run").c_str(), 1);
  std::string a = dir / "a.ckd", b = dir / "b.ckd", c = dir / "c.ckd";
  ASSERT_OK(MakeVolume(a));
  ASSERT_OK(MakeVolume(b));
  ASSERT_OK(MakeVolume(c));
  // 0401 is an offline unit on b (a swap's target unit): it does not use
  // the volume and stays where it is.
  const SystemConfig config = MakeConfig("SYSD", {{0x0400, a}, {0x0401, b}});
  {
    auto sys = System::Attach(config);
    ASSERT_OK(sys);
    EXPECT_EQ(a, (*sys)->Status(0x0400)->image_path);
    ASSERT_OK((*sys)->Vary(0x0401, false));
  }
  ASSERT_OK(MarkMoved(a, b));
  ASSERT_OK(MarkMoved(b, c));
  auto sys = System::Attach(config);
  ASSERT_OK(sys);
  auto st = (*sys)->Status(0x0400);
  ASSERT_OK(st);
  EXPECT_EQ(c, st->image_path);
  EXPECT_FALSE(st->quiesced);
  EXPECT_EQ(b, (*sys)->Status(0x0401)->image_path);
  auto io = UnitIo::Open(**sys, 0x0400);
  ASSERT_OK(io);
  EXPECT_EQ(c, io->image_path());
  ::pas::testing::RestoreIsolatedEnv();
}

// A unit a live process of the system still has open on the old image is
// left to that system's participant: Attach does not move it.
TEST(OnlineRegistry, AttachLeavesUnitsInUse) {
  ScratchDir dir;
  ::setenv("PAS_RUNTIME_DIR", (dir / "run").c_str(), 1);
  std::string a = dir / "a.ckd", b = dir / "b.ckd";
  ASSERT_OK(MakeVolume(a));
  ASSERT_OK(MakeVolume(b));
  const SystemConfig config = MakeConfig("SYSE", {{0x0500, a}});
  auto first = System::Attach(config);
  ASSERT_OK(first);
  auto io = UnitIo::Open(**first, 0x0500);
  ASSERT_OK(io);
  ASSERT_OK(MarkMoved(a, b));
  auto second = System::Attach(config);
  ASSERT_OK(second);
  EXPECT_EQ(a, (*second)->Status(0x0500)->image_path);
  ::pas::testing::RestoreIsolatedEnv();
}

// Moved markers that form a loop (a volume swapped back onto an image it
// once left, whose old marker was not cleared) end in an error, not a hang;
// ClearMoved (the job does it at the commit of a swap onto an image)
// removes the stale marker.
TEST(OnlineRegistry, MarkerLoopIsAnErrorAndClearMovedEndsIt) {
  ScratchDir dir;
  ::setenv("PAS_RUNTIME_DIR", (dir / "run").c_str(), 1);
  std::string a = dir / "a.ckd", b = dir / "b.ckd";
  ASSERT_OK(MakeVolume(a));
  ASSERT_OK(MakeVolume(b));
  ASSERT_OK(MarkMoved(a, b));
  ASSERT_OK(MarkMoved(b, a));
  const SystemConfig config = MakeConfig("SYSF", {{0x0600, a}});
  auto sys = System::Attach(config);
  ASSERT_OK(sys);
  auto io = UnitIo::Open(**sys, 0x0600);
  ASSERT_FALSE(io.ok());
  EXPECT_TRUE(io.status().IsCorruption()) << io.status().ToString();
  EXPECT_NE(std::string::npos, io.status().message().find("PAS197E")) << io.status().ToString();
  ASSERT_OK(ClearMoved(b));
  EXPECT_FALSE(ReadMarker(b)->moved);
  ASSERT_OK(ClearMoved(dir / "never-registered.ckd"));
  auto again = UnitIo::Open(**sys, 0x0600);
  ASSERT_OK(again);
  EXPECT_EQ(b, again->image_path());
  ::pas::testing::RestoreIsolatedEnv();
}

}  // namespace
}  // namespace pas::host
