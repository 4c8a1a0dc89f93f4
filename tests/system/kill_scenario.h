// One kill scenario of the reliability matrix (doc/reliability.md), shared
// by the kill matrix (tests/system/kill_matrix_test.cc) and the randomized
// soak (tests/soak/soak_test.cc): two systems share a volume and write it
// with `pas workload run`; SYSA runs the SWAP job, SYSB a monitor; one
// participant (the job, the monitor or a writer of either system) is
// killed with SIGKILL at a fault point (PAS_FAULT_POINT=name[:hit]) or
// after a delay. Then the invariants are checked:
//   1. every system on one and the same device (`pas display`);
//   2. no intercept installed and no unit quiesced on any system;
//   3. the source's tracks outside PAS.WORKLOAD byte-unchanged when the
//      swap did not commit;
//   4. `pas workload verify` passing on the device in use;
//   5. a second SWAP succeeding: to the same target after a failed swap,
//      to a fresh target after a committed one.
#pragma once

#include <signal.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "ckd/vtoc.h"
#include "system/swap_fixture.h"

namespace pas::swaptest {

enum class Who { kNone, kJob, kMonitor, kWriterA, kWriterB };
enum class Expect { kSource, kSwap, kEither };

struct KillCase {
  std::string name;
  Who who = Who::kNone;
  std::string point;       // PAS_FAULT_POINT value; "" with delay_ms for a timed SIGKILL
  Expect expect = Expect::kEither;
  int delay_ms = 0;        // timed SIGKILL of `who` this long after the job started
  // The job stops (SIGSTOP) right after it announced the swap and listed the
  // systems, and continues only when SYSB's workload has ended: SYSB is in
  // the list but no process of it has the source online at the join.
  bool job_waits_for_b = false;
};

// Names the case in test listings (instead of a dump of its bytes).
inline void PrintTo(const KillCase& c, std::ostream* os) { *os << c.name; }

struct KillOutcome {
  bool killed = false;     // the participant died by SIGKILL
  bool committed = false;  // the volume ended on the target
  std::string failure;     // "" when every invariant held
};

inline const char* WhoName(Who w) {
  switch (w) {
    case Who::kJob: return "job";
    case Who::kMonitor: return "monitor";
    case Who::kWriterA: return "writer-SYSA";
    case Who::kWriterB: return "writer-SYSB";
    default: return "none";
  }
}

// The columns of a `pas display` line we check.
struct UnitView {
  bool found = false;
  bool intercept = false, quiesced = false;
  std::string image;
};

class KillScenario : public SwapFixture {
 protected:
  void TestBody() override {}

 public:
  // Builds the volumes and configurations (call once per scenario; each
  // scenario uses a fresh fixture, hence a fresh scratch directory).
  void Prepare() {
    src_ = MakeSourceVolume("vm1887.ckd", "VM1887", 20, 60);
    tgt_ = MakeEmptyVolume("b887.ckd", "NEW887", 20);
    fresh_ = MakeEmptyVolume("d887.ckd", "NEW888", 20);
    cfg_a_ = Config("SYSA", "0A0001", {{"1887", src_}, {"B887", tgt_, true}, {"D887", fresh_, true}});
    cfg_b_ = Config("SYSB", "0B0002", {{"2887", src_}, {"C887", tgt_, true}, {"E887", fresh_, true}});
    before_ = NonWorkloadTracks(src_);
  }

  static std::string Deck(const std::string& target) {
    return "  SWAP TYPE=FULL,NONRESPONDING=FAIL\n  MOUNT VOL=VM1887,SWAPUNIT=" + target + "\n";
  }

  // True when every thread of `pid` is stopped (the state of the process
  // alone is its main thread's: the thread that hit the fault point is the
  // one that must be stopped).
  static bool Stopped(int pid) {
    std::error_code ec;
    int threads = 0;
    for (const auto& e : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
      std::ifstream in(e.path() / "stat");
      std::string s((std::istreambuf_iterator<char>(in)), {});
      auto p = s.rfind(')');
      if (p == std::string::npos || p + 2 >= s.size() || s[p + 2] != 'T') return false;
      ++threads;
    }
    return !ec && threads > 0;
  }
  static bool WaitStopped(int pid) {
    for (int i = 0; i < 600; ++i) {
      if (Stopped(pid)) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  UnitView View(const std::string& cfg, const std::string& unit) {
    UnitView v;
    std::istringstream in(DisplayLine(cfg, unit));
    std::vector<std::string> tok;
    std::string t;
    while (in >> t) tok.push_back(t);
    if (tok.size() < 7) return v;
    v.found = true;
    size_t n = tok.size();
    v.intercept = tok[n - 5] == "YES";
    v.quiesced = tok[n - 4] == "YES";
    v.image = tok[n - 1];
    return v;
  }

  // Every track of `image` except the PAS.WORKLOAD extents, concatenated.
  static std::string NonWorkloadTracks(const std::string& image) {
    auto img = ckd::CkdImage::Open(image, false);
    if (!img.ok()) return "?open";
    auto vtoc = ckd::ReadVtoc(*img);
    if (!vtoc.ok()) return "?vtoc";
    std::vector<bool> skip(img->tracks(), false);
    for (const auto& ds : vtoc->datasets) {
      if (ds.name != "PAS.WORKLOAD") continue;
      for (const auto& e : ds.extents) {
        uint32_t first = ckd::RelativeTrack(img->geometry(), e.begin);
        uint32_t last = ckd::RelativeTrack(img->geometry(), e.end);
        for (uint32_t tr = first; tr <= last && tr < skip.size(); ++tr) skip[tr] = true;
      }
    }
    std::string out;
    std::vector<uint8_t> slot(img->slot_size());
    for (uint32_t tr = 0; tr < img->tracks(); ++tr) {
      if (skip[tr]) continue;
      if (!img->ReadTrack(tr, slot).ok()) return "?read";
      out.append(reinterpret_cast<const char*>(slot.data()), slot.size());
    }
    return out;
  }

  // Waits (up to `seconds`) until both systems use one image with no
  // intercept and no quiesce; returns the failure text or "".
  std::string Settle(std::string* image, int seconds = 20) {
    std::string why;
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    do {
      UnitView a = View(cfg_a_, "1887"), b = View(cfg_b_, "2887");
      if (!a.found || !b.found) {
        why = "a unit is not displayed";
      } else if (a.image != b.image) {
        why = "SYSA on " + a.image + ", SYSB on " + b.image;
      } else if (a.intercept || b.intercept) {
        why = std::string("intercept left installed on") + (a.intercept ? " SYSA" : "") + (b.intercept ? " SYSB" : "");
      } else if (a.quiesced || b.quiesced) {
        why = std::string("unit left quiesced on") + (a.quiesced ? " SYSA" : "") + (b.quiesced ? " SYSB" : "");
      } else {
        *image = a.image;
        return "";
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    } while (std::chrono::steady_clock::now() < until);
    return why;
  }

  // Runs the SWAP of VM1887 from SYSA to `target` as a background job.
  std::unique_ptr<Child> StartJob(const std::string& target, const std::string& point, const std::string& log) {
    std::string deck = dir_ / (log + ".deck");
    WriteFile(deck, Deck(target));
    return Start({"run", deck, "--config", cfg_a_}, log, {"PAS_FAULT_POINT=" + point, "PAS_JOIN_TIMEOUT=10"});
  }

  std::unique_ptr<Child> StartWorkload(bool a, const std::string& point, int seconds) {
    return Start({"workload", "run", "--unit", a ? "1887" : "2887", "--writers", "1", "--duration",
                  std::to_string(seconds), "--rate", "400", "--journal", dir_ / (a ? "ja" : "jb"),
                  "--system-index", a ? "0" : "1", "--systems", "2", "--config", a ? cfg_a_ : cfg_b_},
                 a ? "workload-a" : "workload-b", {"PAS_FAULT_POINT=" + point});
  }

  KillOutcome RunCase(const KillCase& c, std::string* log) {
    KillOutcome o;
    auto point = [&](Who w) { return c.who == w ? c.point : std::string(); };
    auto fail = [&](const std::string& what) {
      if (o.failure.empty()) o.failure = what;
    };
    mon_ = Start({"monitor", "--unit", "C887,E887", "--config", cfg_b_}, "monitor",
                 {"PAS_FAULT_POINT=" + point(Who::kMonitor)});
    wa_ = StartWorkload(true, point(Who::kWriterA), 3);
    wb_ = StartWorkload(false, point(Who::kWriterB), 3);
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    auto job = StartJob("B887", c.job_waits_for_b ? "job.announce:1:stop" : point(Who::kJob), "job");
    if (c.delay_ms > 0 && c.who != Who::kNone) {
      std::this_thread::sleep_for(std::chrono::milliseconds(c.delay_ms));
      Child* victim = c.who == Who::kJob ? job.get() : c.who == Who::kMonitor ? mon_.get()
                      : c.who == Who::kWriterA ? wa_.get() : wb_.get();
      if (victim->Running()) victim->Kill(SIGKILL);
    }
    if (c.job_waits_for_b) {
      if (!WaitStopped(job->pid())) fail("the job did not stop after the announce");
      wb_->Wait(60);
      job->Kill(SIGCONT);
    }
    int jrc = job->Wait(60);
    int arc = wa_->Wait(60), brc = wb_->Wait(60);
    *log += "job rc " + std::to_string(jrc) + "\n" + job->Stdout() + job->Stderr();
    *log += "workload SYSA rc " + std::to_string(arc) + " " + wa_->Stdout() + wa_->Stderr();
    *log += "workload SYSB rc " + std::to_string(brc) + " " + wb_->Stdout() + wb_->Stderr();
    const int killed = 128 + SIGKILL;
    switch (c.who) {
      case Who::kJob: o.killed = jrc == killed; break;
      case Who::kWriterA: o.killed = arc != 0; break;
      case Who::kWriterB: o.killed = brc != 0; break;
      case Who::kMonitor:
        if (!mon_->Running()) o.killed = mon_->Wait(1) == killed;
        break;
      default: break;
    }
    if (jrc == -1) fail("the job hung");
    if (c.job_waits_for_b && job->Stdout().find("WAITING FOR 2 SYSTEM(S)") == std::string::npos)
      fail("SYSB was not in the job's list of systems to wait for");
    if (c.who != Who::kWriterA && arc != 0) fail("workload SYSA failed: rc " + std::to_string(arc));
    if (c.who != Who::kWriterB && brc != 0) fail("workload SYSB failed: rc " + std::to_string(brc));
    if (c.who != Who::kJob && jrc != 0 && jrc != 8) fail("job ended with rc " + std::to_string(jrc));

    std::string image;
    std::string why = Settle(&image);
    if (!why.empty()) {
      fail("after the kill: " + why);
      *log += "monitor: " + mon_->Stdout() + mon_->Stderr();
      return o;
    }
    o.committed = image == tgt_;
    if (image != tgt_ && image != src_) fail("systems on an unexpected image " + image);
    if (c.expect == Expect::kSource && o.committed) fail("the swap committed; expected it to fail");
    if (c.expect == Expect::kSwap && !o.committed) fail("the swap did not commit; expected it to");
    if (!o.committed && NonWorkloadTracks(src_) != before_) fail("the source changed outside PAS.WORKLOAD");
    ProcessResult v = Verify(image, {"ja", "jb"});
    if (v.exit_code != 0) fail("verify on " + image + ": " + v.out + v.err);

    // The second SWAP: the same target after a failure, a fresh one after a commit.
    // A monitor whose fault point the first swap did not reach would still
    // carry it armed into the second (a swap with fewer passes harvests
    // fewer times): it is replaced, idle, by one without a fault point.
    if (mon_->Running() && c.who == Who::kMonitor && !c.point.empty()) {
      mon_->Kill(SIGTERM);
      if (mon_->Wait(20) == -1) fail("the idle monitor did not end on SIGTERM");
    }
    if (!mon_->Running()) mon_ = Start({"monitor", "--unit", "C887,E887", "--config", cfg_b_}, "monitor2", {});
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    const std::string again_target = o.committed ? "D887" : "B887";
    const std::string again_image = o.committed ? fresh_ : tgt_;
    auto again = StartJob(again_target, "", "job2");
    int rc2 = again->Wait(60);
    *log += "second job rc " + std::to_string(rc2) + "\n" + again->Stdout() + again->Stderr();
    if (rc2 != 0) fail("the second SWAP to " + again_target + " ended with rc " + std::to_string(rc2));
    why = Settle(&image);
    if (!why.empty()) fail("after the second SWAP: " + why);
    else if (image != again_image) fail("after the second SWAP the systems are on " + image);
    v = Verify(again_image, {"ja", "jb"});
    if (v.exit_code != 0) fail("verify after the second SWAP: " + v.out + v.err);
    mon_->Kill(SIGTERM);
    mon_->Wait(20);
    *log += "monitor: " + mon_->Stdout() + mon_->Stderr();
    return o;
  }

  std::string src_, tgt_, fresh_, cfg_a_, cfg_b_, before_;
  std::unique_ptr<Child> mon_, wa_, wb_;
};

}  // namespace pas::swaptest
