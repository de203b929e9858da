#pragma once
// Prometheus metrics: counters, gauges and histograms grouped in labelled families, and the
// text exposition format 0.0.4 that GET /metrics serves. Hand-written: no Debian package
// provides prometheus-cpp, and the format is small and stable.
//
//   auto& requests = registry.counter("http_requests_total", "HTTP requests",
//                                     {"route", "method", "status"});
//   requests.labels({"/health", "GET", "200"}).inc();
//
// labels() returns a child that lives as long as the registry, so hot paths look it up once
// and then pay one atomic add per update; the lookup itself is a map search under a shared
// lock. Misuse (bad names, conflicting re-registration, a wrong number of label values, a
// negative counter increment) throws: these are programmer errors that the first test running
// the code finds, not conditions to handle.
#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace agentlearn::metrics {

// The Content-Type of expose()'s output.
inline constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

// Histogram upper bounds for HTTP latency in seconds: 100 µs to 10 s.
inline constexpr std::array<double, 16> kLatencyBuckets = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
    0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};

// `count` bounds start, start*factor, ... (e.g. training durations: 1 s, 2 s, ... 2048 s).
std::vector<double> exponential_buckets(double start, double factor, int count);

// A monotonic total. Whole increments go to an integer so the common inc() is one lock-free
// add even under contention; fractional ones (costs, seconds) go to a double.
class Counter {
 public:
  void inc() noexcept { whole_.fetch_add(1, std::memory_order_relaxed); }
  // Throws std::invalid_argument if `amount` is negative or NaN.
  void inc(double amount);
  double value() const noexcept;

 private:
  std::atomic<uint64_t> whole_{0};
  std::atomic<double> fraction_{0.0};
};

// A value that goes up and down.
class Gauge {
 public:
  void set(double value) noexcept { value_.store(value, std::memory_order_relaxed); }
  void inc(double amount = 1) noexcept { value_.fetch_add(amount, std::memory_order_relaxed); }
  void dec(double amount = 1) noexcept { value_.fetch_sub(amount, std::memory_order_relaxed); }
  double value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

// Observations counted into buckets by upper bound (inclusive, as Prometheus' `le`).
class Histogram {
 public:
  struct Snapshot {
    std::vector<uint64_t> cumulative;  // one per bound, then +Inf; never decreasing
    double sum = 0;
    uint64_t count = 0;  // equals cumulative.back(), as Prometheus requires
  };

  // `bounds` (sorted, finite) must outlive the histogram; its family owns them.
  explicit Histogram(std::span<const double> bounds);
  void observe(double value) noexcept;  // NaN lands in +Inf only, as in the Go client
  std::span<const double> bounds() const noexcept { return bounds_; }
  // Buckets are read one by one without stopping writers, so _sum may lag _count slightly
  // under load; the buckets themselves are always cumulative and match _count.
  Snapshot snapshot() const;

 private:
  std::span<const double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;  // per bucket, not cumulative; last is +Inf
  std::atomic<double> sum_{0.0};
};

namespace detail {

// What the registry and exposition need from every family, whatever its children are.
class FamilyBase {
 public:
  FamilyBase(std::string_view name, std::string_view help, std::vector<std::string> label_names);
  virtual ~FamilyBase() = default;
  FamilyBase(const FamilyBase&) = delete;
  FamilyBase& operator=(const FamilyBase&) = delete;

  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  const std::vector<std::string>& label_names() const { return label_names_; }
  virtual std::string_view type() const = 0;  // "counter", "gauge", "histogram"
  // Sample names besides name(), claimed so that no two families expose the same series.
  virtual std::vector<std::string> suffixed_names() const { return {}; }
  // Whatever else a re-registration must match (histogram bounds).
  virtual bool same_options(const FamilyBase&) const { return true; }
  void write(std::string& out) const;  // # HELP, # TYPE, then the samples

 protected:
  virtual void write_samples(std::string& out) const = 0;

 private:
  std::string name_;
  std::string help_;
  std::vector<std::string> label_names_;
};

// Orders label-value tuples so lookups can take string_views without building strings.
struct LabelsLess {
  using is_transparent = void;
  template <class A, class B>
  bool operator()(const A& a, const B& b) const {
    return std::lexicographical_compare(
        a.begin(), a.end(), b.begin(), b.end(),
        [](std::string_view x, std::string_view y) { return x < y; });
  }
};

}  // namespace detail

// A metric name, its help and label names, and one child per distinct label values.
// Children are exposed sorted by label values, so scrapes are stable.
template <class Child>
class Family final : public detail::FamilyBase {
 public:
  // The child for `values` (one per label name, in order), created on first use. Throws
  // std::invalid_argument on a wrong number of values. Invalid UTF-8 in a value becomes
  // U+FFFD: one odd agent id must not make Prometheus reject the whole scrape.
  Child& labels(std::initializer_list<std::string_view> values = {}) {
    return labels(std::span<const std::string_view>(values.begin(), values.size()));
  }
  Child& labels(std::span<const std::string_view> values);

  std::string_view type() const override;
  std::vector<std::string> suffixed_names() const override;
  bool same_options(const FamilyBase& other) const override;

 private:
  friend class Registry;
  Family(std::string_view name, std::string_view help, std::vector<std::string> label_names,
         std::vector<double> bounds);
  void write_samples(std::string& out) const override;

  std::vector<double> bounds_;  // histograms only
  mutable std::shared_mutex mutex_;
  // std::map never moves its nodes, which is what keeps children's addresses stable.
  std::map<std::vector<std::string>, Child, detail::LabelsLess> children_;
};

extern template class Family<Counter>;
extern template class Family<Gauge>;
extern template class Family<Histogram>;

// The set of metric families one process exposes. Thread-safe throughout.
//
// Registering a name again with the same type, label names, help (and buckets) returns the
// existing family, so modules can register what they use without coordinating; any
// difference, or a clash with another family's series (histogram `x` owns `x_count`), throws
// std::logic_error. Names that break Prometheus' rules throw std::invalid_argument.
class Registry {
 public:
  Registry();
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  Family<Counter>& counter(std::string_view name, std::string_view help,
                           std::vector<std::string> label_names = {});
  Family<Gauge>& gauge(std::string_view name, std::string_view help,
                       std::vector<std::string> label_names = {});
  // `buckets`: strictly increasing upper bounds; +Inf is implied (a trailing +Inf is ignored).
  Family<Histogram>& histogram(std::string_view name, std::string_view help,
                               std::vector<std::string> label_names = {},
                               std::vector<double> buckets = {kLatencyBuckets.begin(),
                                                              kLatencyBuckets.end()});
  // A gauge without labels whose value `read` computes at each scrape (uptime, store health).
  // `read` runs on the scraping thread without registry locks held, possibly concurrently
  // with itself; whatever it captures must outlive the registry. If it throws, the sample is
  // NaN. A second callback for the same name throws std::logic_error.
  void gauge_callback(std::string_view name, std::string_view help, std::function<double()> read);
  // The same for a total that only grows (CPU seconds), exposed with type counter.
  void counter_callback(std::string_view name, std::string_view help, std::function<double()> read);

  // The text exposition (format 0.0.4) of every family, in registration order.
  std::string expose() const;

 private:
  detail::FamilyBase& add(std::unique_ptr<detail::FamilyBase> candidate);

  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<detail::FamilyBase>> families_;
  // Every series name in use (family names and histogram suffixes) -> its family.
  std::unordered_map<std::string, detail::FamilyBase*> names_;
};

}  // namespace agentlearn::metrics
