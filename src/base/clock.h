// Clock: the time seam. Everything that waits, paces or times out asks a
// Clock, so tests can advance time by hand (ManualClock) instead of sleeping.
// RealClock is stateless and safe from any thread; ManualClock is
// thread-safe (its time is an atomic).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>

namespace pas {

class Clock {
 public:
  virtual ~Clock() = default;
  // Monotonic microseconds since an arbitrary epoch.
  virtual int64_t NowMicros() const = 0;
  // Wall-clock seconds since the Unix epoch (for history and reports).
  virtual int64_t WallSeconds() const = 0;
  // Blocks the caller for about `micros` (ManualClock: advances instead).
  virtual void SleepMicros(int64_t micros) = 0;
  // The process-wide real clock.
  static Clock* Real();
};

class RealClock final : public Clock {
 public:
  int64_t NowMicros() const override {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
  int64_t WallSeconds() const override {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  void SleepMicros(int64_t micros) override {
    std::this_thread::sleep_for(std::chrono::microseconds(micros));
  }
};

class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t start_micros = 0) : now_(start_micros) {}
  int64_t NowMicros() const override { return now_.load(); }
  int64_t WallSeconds() const override { return 1'700'000'000 + now_.load() / 1'000'000; }
  void SleepMicros(int64_t micros) override { now_.fetch_add(micros); }
  void Advance(int64_t micros) { now_.fetch_add(micros); }

 private:
  std::atomic<int64_t> now_;
};

// Wall-clock microseconds since the Unix epoch: for times that other
// processes and machines compare (participant blocks, status files), never
// for measuring an interval (Clock::NowMicros is monotonic).
inline int64_t WallMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

inline Clock* Clock::Real() {
  static RealClock clock;
  return &clock;
}

}  // namespace pas
