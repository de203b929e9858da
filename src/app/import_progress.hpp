#pragma once
// What `agentlearn import` counts (imported, duplicates, rejected with their lines) and the
// progress line it draws on a terminal while it runs.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <iostream>
#include <string>
#include <vector>

#include "core/status.hpp"

namespace agentlearn::importing {

using Clock = std::chrono::steady_clock;

struct Rejection {
  size_t line;
  std::string field;
  std::string message;
};

struct Tally {
  uint64_t records = 0;  // records read (valid or not)
  uint64_t imported = 0;
  uint64_t duplicates = 0;
  uint64_t rejected = 0;
  std::vector<Rejection> errors;  // the first kMaxKeptErrors

  // Keeps memory bounded for a file that is wrong on every line.
  static constexpr size_t kMaxKeptErrors = 100000;

  void reject(size_t line, const Status& st) { reject(line, st.field(), st.message()); }
  void reject(size_t line, std::string field, std::string message) {
    ++rejected;
    if (errors.size() < kMaxKeptErrors) errors.push_back({line, std::move(field), std::move(message)});
  }
};

// A one-line progress display, redrawn at most 10 times a second, only on a terminal: a
// log file or a pipe gets the summary alone.
class Progress {
 public:
  Progress(bool enabled, uint64_t total_bytes) : enabled_(enabled), total_bytes_(total_bytes), start_(Clock::now()) {}

  void update(const Tally& t, size_t lines, uint64_t bytes, bool force = false) {
    if (!enabled_) return;
    auto now = Clock::now();
    if (!force && now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    double secs = std::chrono::duration<double>(now - start_).count();
    double rate = secs > 0 ? static_cast<double>(t.imported + t.duplicates) / secs : 0;
    std::string bar;
    if (total_bytes_ > 0) {
      double frac = std::min(1.0, static_cast<double>(bytes) / static_cast<double>(total_bytes_));
      int filled = static_cast<int>(frac * 20);
      bar = fmt::format("[{}{}] {:3.0f}%  ", std::string(static_cast<size_t>(filled), '#'),
                        std::string(static_cast<size_t>(20 - filled), '.'), frac * 100);
    }
    std::cerr << fmt::format("\r\x1b[K{}lines {}  imported {}  duplicates {}  rejected {}  {:.0f} records/s", bar,
                             lines, t.imported, t.duplicates, t.rejected, rate)
              << std::flush;
    drawn_ = true;
  }

  void note(const std::string& message) {
    if (!enabled_) return;
    std::cerr << "\r\x1b[K" << message << std::flush;
    drawn_ = true;
  }

  // Clears the line so the summary starts on a clean one.
  void finish() {
    if (enabled_ && drawn_) std::cerr << "\r\x1b[K" << std::flush;
  }

 private:
  bool enabled_;
  uint64_t total_bytes_;
  Clock::time_point start_;
  Clock::time_point last_{};
  bool drawn_ = false;
};

}  // namespace agentlearn::importing
