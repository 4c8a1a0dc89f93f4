#include "intercept/dirty_bitmap.h"

#include <gtest/gtest.h>

#include <random>
#include <set>

#include "host_test_util.h"
#include "intercept/futex.h"

namespace pas::intercept {
namespace {

using host::testing::ForkChild;
using host::testing::SharedArea;
using host::testing::WaitChild;

TEST(DirtyTrackBitmap, MatchesNaiveModelAfterEveryOperation) {
  constexpr uint32_t kTracks = 1000;
  std::vector<std::atomic<uint64_t>> words(DirtyTrackBitmap::WordsFor(kTracks));
  DirtyTrackBitmap bm(words.data(), kTracks);
  std::set<uint32_t> model;
  std::mt19937 rng(7);
  for (int op = 0; op < 3000; ++op) {
    uint32_t t = rng() % (kTracks + 10);  // some out of range: ignored
    if (rng() % 50 == 0) {
      auto got = TracksInWords(bm.Harvest());
      ASSERT_EQ(std::vector<uint32_t>(model.begin(), model.end()), got);
      model.clear();
    } else {
      bm.Mark(t);
      if (t < kTracks) model.insert(t);
    }
    ASSERT_EQ(model.size(), bm.Count());
    ASSERT_EQ(model.count(t) > 0, bm.Test(t));
  }
  bm.Clear();
  EXPECT_EQ(0u, bm.Count());
}

// Several writer processes mark random tracks of one shared bitmap and
// record what they marked; a harvester process harvests concurrently. The
// union of the harvests (plus a final one) equals the union of the marks.
TEST(DirtyTrackBitmap, ConcurrentProcessesLoseNoBit) {
  constexpr uint32_t kTracks = 4096;
  constexpr int kWriters = 3;
  constexpr int kRounds = 5;
  auto* words = SharedArea<std::atomic<uint64_t>>(DirtyTrackBitmap::WordsFor(kTracks));
  auto* marked = SharedArea<std::atomic<uint8_t>>(kTracks);
  auto* harvested = SharedArea<std::atomic<uint8_t>>(kTracks);
  auto* stop = SharedArea<std::atomic<uint32_t>>();
  ASSERT_NE(nullptr, words);
  for (int round = 0; round < kRounds; ++round) {
    for (uint32_t t = 0; t < kTracks; ++t) marked[t] = harvested[t] = 0;
    stop->store(0);
    pid_t harvester = ForkChild([&] {
      DirtyTrackBitmap bm(words, kTracks);
      while (stop->load() == 0)
        for (uint32_t t : TracksInWords(bm.Harvest())) harvested[t] = 1;
      for (uint32_t t : TracksInWords(bm.Harvest())) harvested[t] = 1;
      return 0;
    });
    std::vector<pid_t> writers;
    for (int w = 0; w < kWriters; ++w) {
      writers.push_back(ForkChild([&, w] {
        DirtyTrackBitmap bm(words, kTracks);
        std::mt19937 rng(round * 100 + w);
        for (int i = 0; i < 20000; ++i) {
          uint32_t t = rng() % kTracks;
          marked[t] = 1;  // recorded before the mark: a superset check below
          bm.Mark(t);
        }
        return 0;
      }));
    }
    for (pid_t p : writers) ASSERT_EQ(0, WaitChild(p));
    stop->store(1);
    ASSERT_EQ(0, WaitChild(harvester));
    uint32_t n_marked = 0;
    for (uint32_t t = 0; t < kTracks; ++t) {
      ASSERT_EQ(marked[t].load(), harvested[t].load()) << "round " << round << " track " << t;
      n_marked += marked[t];
    }
    EXPECT_GT(n_marked, kTracks / 2);
  }
}

TEST(Futex, WakesAWaiterInAnotherProcess) {
  auto* word = SharedArea<std::atomic<uint32_t>>();
  auto* woke = SharedArea<std::atomic<uint32_t>>();
  pid_t child = ForkChild([&] {
    while (word->load() == 0) FutexWait(word, 0, 5'000'000);
    woke->store(1);
    return 0;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(0u, woke->load());
  word->store(1);
  FutexWake(word);
  EXPECT_EQ(0, WaitChild(child, 10));
  EXPECT_EQ(1u, woke->load());
  EXPECT_EQ(FutexWaitResult::kTimedOut, FutexWait(woke, 1, 1000));
  EXPECT_EQ(FutexWaitResult::kValueChanged, FutexWait(woke, 0, 1000));
}

}  // namespace
}  // namespace pas::intercept
