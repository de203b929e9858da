#include <gtest/gtest.h>

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "metrics/registry.hpp"

namespace agentlearn::metrics {
namespace {

// The value on the line that starts with `series ` (name and labels), or "" if none.
std::string sample(const std::string& exposition, const std::string& series) {
  std::istringstream in(exposition);
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with(series + " ")) return line.substr(series.size() + 1);
  }
  return "";
}

// A checker for the 0.0.4 text grammar (promtool is not on this machine). Hand-written
// rather than std::regex, whose GCC 12 headers trip -Werror under -fsanitize=thread.
class LineChecker {
 public:
  explicit LineChecker(std::string_view line) : s_(line) {}

  bool valid() {
    if (eat("# HELP ")) return name(true) && eat(" ") && escaped(false) && at_end();
    if (eat("# TYPE ")) {
      return name(true) && (eat(" counter") || eat(" gauge") || eat(" histogram")) && at_end();
    }
    if (!name(true)) return false;
    if (eat("{")) {
      do {
        if (!name(false) || !eat("=\"") || !escaped(true) || !eat("\"")) return false;
      } while (eat(","));
      if (!eat("}")) return false;
    }
    return eat(" ") && number();
  }

 private:
  bool eat(std::string_view token) {
    if (!s_.substr(i_).starts_with(token)) return false;
    i_ += token.size();
    return true;
  }
  bool at_end() const { return i_ == s_.size(); }
  bool name(bool metric) {
    const size_t begin = i_;
    auto ok = [&](char c, bool first) {
      return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || (metric && c == ':') ||
             (!first && std::isdigit(static_cast<unsigned char>(c)));
    };
    while (i_ < s_.size() && ok(s_[i_], i_ == begin)) ++i_;
    return i_ > begin;
  }
  // Help text (escapes \\ and \n) or a label value (also \", and ends at an unescaped ").
  bool escaped(bool label_value) {
    while (i_ < s_.size()) {
      const char c = s_[i_];
      if (label_value && c == '"') return true;
      if (c == '\\') {
        if (i_ + 1 >= s_.size()) return false;
        const char next = s_[i_ + 1];
        if (next != '\\' && next != 'n' && !(label_value && next == '"')) return false;
        i_ += 2;
      } else {
        ++i_;
      }
    }
    return !label_value;
  }
  bool number() {
    const std::string rest(s_.substr(i_));
    if (rest == "NaN" || rest == "+Inf" || rest == "-Inf") return true;
    if (rest.empty() || rest.find_first_not_of("0123456789.e+-") != std::string::npos) {
      return false;
    }
    char* end = nullptr;
    std::strtod(rest.c_str(), &end);
    return end == rest.c_str() + rest.size();
  }

  std::string_view s_;
  size_t i_ = 0;
};

void expect_valid_exposition(const std::string& text) {
  ASSERT_TRUE(text.empty() || text.back() == '\n');
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    EXPECT_TRUE(LineChecker(line).valid()) << "bad line: " << line;
  }
}

TEST(MetricsRegistry, LineCheckerRejectsMalformedLines) {
  for (const char* bad :
       {"x 1 2", "x{a=\"b} 1", "x{a=\"b\\q\"} 1", "x{1a=\"b\"} 1", "x{a=\"b\",} 1", "1x 1", "x 1e",
        "x inf", "# TYPE x summary", "# HELP x a\\q"}) {
    EXPECT_FALSE(LineChecker(bad).valid()) << bad;
  }
  EXPECT_TRUE(LineChecker("a:b{c=\"d\\\"\\n\\\\\",e=\"\"} -1.5e-07").valid());
}

TEST(MetricsRegistry, ExposesSmallRegistryExactly) {
  Registry registry;
  auto& requests = registry.counter("http_requests_total", "HTTP requests by route and status",
                                    {"route", "method", "status"});
  requests.labels({"/health", "GET", "200"}).inc();
  requests.labels({"/health", "GET", "200"}).inc();
  requests.labels({"/executions", "POST", "201"}).inc(3);
  registry.gauge("store_up", "1 when the store answers").labels().set(1);
  auto& latency =
      registry.histogram("http_request_duration_seconds", "Request latency", {"route"}, {0.125, 1});
  for (double v : {0.0625, 0.125, 0.5, 3.0}) latency.labels({"/health"}).observe(v);
  registry.counter("idle_total", "Never incremented");

  EXPECT_EQ(registry.expose(),
            "# HELP http_requests_total HTTP requests by route and status\n"
            "# TYPE http_requests_total counter\n"
            "http_requests_total{route=\"/executions\",method=\"POST\",status=\"201\"} 3\n"
            "http_requests_total{route=\"/health\",method=\"GET\",status=\"200\"} 2\n"
            "# HELP store_up 1 when the store answers\n"
            "# TYPE store_up gauge\n"
            "store_up 1\n"
            "# HELP http_request_duration_seconds Request latency\n"
            "# TYPE http_request_duration_seconds histogram\n"
            "http_request_duration_seconds_bucket{route=\"/health\",le=\"0.125\"} 2\n"
            "http_request_duration_seconds_bucket{route=\"/health\",le=\"1\"} 3\n"
            "http_request_duration_seconds_bucket{route=\"/health\",le=\"+Inf\"} 4\n"
            "http_request_duration_seconds_sum{route=\"/health\"} 3.6875\n"
            "http_request_duration_seconds_count{route=\"/health\"} 4\n"
            "# HELP idle_total Never incremented\n"
            "# TYPE idle_total counter\n"
            "idle_total 0\n");
  expect_valid_exposition(registry.expose());
}

TEST(MetricsRegistry, LabelledFamilyWithoutChildrenExposesOnlyHeaders) {
  Registry registry;
  registry.counter("learning_predictions_total", "", {"agent", "model"});
  // No HELP line for empty help; TYPE still tells Prometheus what is coming.
  EXPECT_EQ(registry.expose(), "# TYPE learning_predictions_total counter\n");
}

TEST(MetricsRegistry, EscapesLabelValuesAndHelp) {
  Registry registry;
  auto& family = registry.gauge("escaped", "line one\nback\\slash \"quoted\"", {"v"});
  family.labels({"a\\b\"c\nd"}).set(1);
  const std::string text = registry.expose();
  EXPECT_EQ(text,
            "# HELP escaped line one\\nback\\\\slash \"quoted\"\n"
            "# TYPE escaped gauge\n"
            "escaped{v=\"a\\\\b\\\"c\\nd\"} 1\n");
  expect_valid_exposition(text);
}

TEST(MetricsRegistry, InvalidUtf8InLabelValuesBecomesReplacementCharacter) {
  Registry registry;
  auto& family = registry.counter("agent_runs_total", "Runs", {"agent"});
  Counter& bad =
      family.labels({"a\xFF"
                     "b"});
  bad.inc();
  // The same raw value finds the same child (through the sanitized key).
  Counter& again =
      family.labels({"a\xFF"
                     "b"});
  EXPECT_EQ(&again, &bad);
  again.inc();
  family.labels({"caf\xC3\xA9"}).inc();   // valid two-byte sequence, kept
  family.labels({"\xED\xA0\x80"}).inc();  // a surrogate: three bad bytes
  family.labels({"\xC0\xAF"}).inc();      // overlong '/'
  const std::string text = registry.expose();
  EXPECT_EQ(sample(text,
                   "agent_runs_total{agent=\"a\xEF\xBF\xBD"
                   "b\"}"),
            "2");
  EXPECT_EQ(sample(text, "agent_runs_total{agent=\"caf\xC3\xA9\"}"), "1");
  EXPECT_EQ(sample(text, "agent_runs_total{agent=\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"}"), "1");
  EXPECT_EQ(sample(text, "agent_runs_total{agent=\"\xEF\xBF\xBD\xEF\xBF\xBD\"}"), "1");
}

TEST(MetricsRegistry, FormatsNumbersSoPrometheusParsesThem) {
  struct Case {
    double value;
    const char* text;
  };
  const Case cases[] = {
      {0, "0"},
      {-0.0, "0"},
      {1e6, "1000000"},
      {-42, "-42"},
      {1234567890123.0, "1234567890123"},
      {0.5, "0.5"},
      {0.0001, "0.0001"},
      {0.00025, "0.00025"},
      {1e-5, "1e-05"},
      {0.1 + 0.2, "0.30000000000000004"},
      {1e300, "1e+300"},
      {std::numeric_limits<double>::infinity(), "+Inf"},
      {-std::numeric_limits<double>::infinity(), "-Inf"},
      {std::numeric_limits<double>::quiet_NaN(), "NaN"},
  };
  Registry registry;
  auto& g = registry.gauge("value", "v", {"i"});
  for (size_t i = 0; i < std::size(cases); ++i) g.labels({std::to_string(i)}).set(cases[i].value);
  const std::string text = registry.expose();
  for (size_t i = 0; i < std::size(cases); ++i) {
    const std::string got = sample(text, "value{i=\"" + std::to_string(i) + "\"}");
    EXPECT_EQ(got, cases[i].text) << "case " << i;
    // And it reads back to the same double (strtod takes Go's spellings too).
    const double back = std::strtod(got.c_str(), nullptr);
    if (std::isnan(cases[i].value)) {
      EXPECT_TRUE(std::isnan(back));
    } else {
      EXPECT_EQ(back, cases[i].value) << "case " << i;
    }
  }
  expect_valid_exposition(text);
}

TEST(MetricsRegistry, HistogramBucketsAreCumulativeWithInclusiveBounds) {
  Registry registry;
  auto& family = registry.histogram("op_seconds", "Operation time");
  Histogram& h = family.labels();
  ASSERT_EQ(h.bounds().size(), kLatencyBuckets.size());
  // On a bound counts in that bucket (le is "less or equal"); past the last goes to +Inf.
  h.observe(0.0001);
  h.observe(0.0003);
  h.observe(0.001);
  h.observe(0.001);
  h.observe(0.7);
  h.observe(10);
  h.observe(11);
  h.observe(std::numeric_limits<double>::infinity());

  const Histogram::Snapshot s = h.snapshot();
  ASSERT_EQ(s.cumulative.size(), kLatencyBuckets.size() + 1);
  for (size_t i = 1; i < s.cumulative.size(); ++i) EXPECT_GE(s.cumulative[i], s.cumulative[i - 1]);
  EXPECT_EQ(s.count, 8u);
  EXPECT_EQ(s.cumulative.back(), s.count);

  const std::string text = registry.expose();
  EXPECT_EQ(sample(text, "op_seconds_bucket{le=\"0.0001\"}"), "1");
  EXPECT_EQ(sample(text, "op_seconds_bucket{le=\"0.00025\"}"), "1");
  EXPECT_EQ(sample(text, "op_seconds_bucket{le=\"0.0005\"}"), "2");
  EXPECT_EQ(sample(text, "op_seconds_bucket{le=\"0.001\"}"), "4");
  EXPECT_EQ(sample(text, "op_seconds_bucket{le=\"0.5\"}"), "4");
  EXPECT_EQ(sample(text, "op_seconds_bucket{le=\"1\"}"), "5");
  EXPECT_EQ(sample(text, "op_seconds_bucket{le=\"10\"}"), "6");
  EXPECT_EQ(sample(text, "op_seconds_bucket{le=\"+Inf\"}"), "8");
  EXPECT_EQ(sample(text, "op_seconds_count"), "8");
  EXPECT_EQ(sample(text, "op_seconds_sum"), "+Inf");
  expect_valid_exposition(text);
}

TEST(MetricsRegistry, HistogramNanGoesToInfBucketOnly) {
  Registry registry;
  Histogram& h = registry.histogram("nan_seconds", "h", {}, {1}).labels();
  h.observe(std::nan(""));
  const Histogram::Snapshot s = h.snapshot();
  EXPECT_EQ(s.cumulative, (std::vector<uint64_t>{0, 1}));
  EXPECT_TRUE(std::isnan(s.sum));
}

TEST(MetricsRegistry, HistogramBucketOptions) {
  Registry registry;
  // A trailing +Inf is implied anyway, so it is accepted and not doubled.
  auto& h =
      registry.histogram("train_seconds", "t", {}, {1, 2, std::numeric_limits<double>::infinity()});
  EXPECT_EQ(h.labels().bounds().size(), 2u);
  EXPECT_THROW(registry.histogram("unsorted", "u", {}, {1, 0.5}), std::invalid_argument);
  EXPECT_THROW(registry.histogram("repeated", "u", {}, {1, 1}), std::invalid_argument);
  EXPECT_THROW(registry.histogram("nan_bound", "u", {}, {std::nan("")}), std::invalid_argument);
  EXPECT_EQ(exponential_buckets(1, 2, 4), (std::vector<double>{1, 2, 4, 8}));
  EXPECT_THROW(exponential_buckets(0, 2, 4), std::invalid_argument);
  // No bounds at all: just +Inf.
  registry.histogram("only_inf", "o", {}, {}).labels().observe(3);
  EXPECT_EQ(sample(registry.expose(), "only_inf_bucket{le=\"+Inf\"}"), "1");
}

TEST(MetricsRegistry, CountersAndGauges) {
  Registry registry;
  Counter& c = registry.counter("tokens_total", "t").labels();
  c.inc();
  c.inc(2);
  c.inc(0.25);
  c.inc(0);
  EXPECT_EQ(c.value(), 3.25);
  EXPECT_THROW(c.inc(-1), std::invalid_argument);
  EXPECT_THROW(c.inc(std::nan("")), std::invalid_argument);
  EXPECT_EQ(c.value(), 3.25);

  Gauge& g = registry.gauge("queue_depth", "q").labels();
  g.set(10);
  g.inc();
  g.inc(4.5);
  g.dec();
  g.dec(0.5);
  EXPECT_EQ(g.value(), 14);
}

TEST(MetricsRegistry, ChildrenAreStableAndSorted) {
  Registry registry;
  auto& family = registry.counter("by_agent_total", "b", {"agent"});
  Counter& first = family.labels({"m"});
  // Many insertions later the cached reference still points at the same child.
  for (int i = 0; i < 1000; ++i) family.labels({"agent" + std::to_string(i)});
  EXPECT_EQ(&family.labels({"m"}), &first);
  std::vector<std::string_view> dynamic = {"m"};
  EXPECT_EQ(&family.labels(dynamic), &first);

  Registry small;
  auto& f = small.gauge("g", "g", {"k"});
  f.labels({"b"});
  f.labels({"a"});
  f.labels({"c"});
  EXPECT_EQ(small.expose(),
            "# HELP g g\n# TYPE g gauge\ng{k=\"a\"} 0\ng{k=\"b\"} 0\ng{k=\"c\"} 0\n");
}

TEST(MetricsRegistry, WrongNumberOfLabelValuesThrows) {
  Registry registry;
  auto& family = registry.counter("two_total", "t", {"a", "b"});
  EXPECT_THROW(family.labels({"x"}), std::invalid_argument);
  EXPECT_THROW(family.labels({"x", "y", "z"}), std::invalid_argument);
  EXPECT_THROW(family.labels(), std::invalid_argument);
  EXPECT_THROW(registry.counter("none_total", "n").labels({"x"}), std::invalid_argument);
}

TEST(MetricsRegistry, ValidatesNames) {
  Registry registry;
  for (const char* bad : {"", "1abc", "has-dash", "has space", "dot.name", "ünicode"}) {
    EXPECT_THROW(registry.counter(bad, "h"), std::invalid_argument) << bad;
  }
  EXPECT_NO_THROW(registry.counter("job:requests:rate5m", "recording-rule style"));
  EXPECT_NO_THROW(registry.counter("_underscore", "h"));
  for (const char* bad : {"", "1a", "__reserved", "a-b", "a:b"}) {
    EXPECT_THROW(registry.counter("labelled_total", "h", {bad}), std::invalid_argument) << bad;
  }
  EXPECT_THROW(registry.counter("dup_labels_total", "h", {"a", "a"}), std::invalid_argument);
  EXPECT_THROW(registry.histogram("le_seconds", "h", {"le"}), std::invalid_argument);
  EXPECT_NO_THROW(registry.gauge("le_gauge", "le is only reserved in histograms", {"le"}));
  // Failed registrations leave nothing behind.
  EXPECT_EQ(registry.expose().find("labelled_total"), std::string::npos);
}

TEST(MetricsRegistry, DuplicateRegistration) {
  Registry registry;
  auto& a = registry.counter("dup_total", "d", {"x"});
  EXPECT_EQ(&registry.counter("dup_total", "d", {"x"}), &a);
  EXPECT_THROW(registry.gauge("dup_total", "d", {"x"}), std::logic_error);
  EXPECT_THROW(registry.histogram("dup_total", "d", {"x"}), std::logic_error);
  EXPECT_THROW(registry.counter("dup_total", "d", {"y"}), std::logic_error);
  EXPECT_THROW(registry.counter("dup_total", "d", {"x", "y"}), std::logic_error);
  EXPECT_THROW(registry.counter("dup_total", "d"), std::logic_error);
  EXPECT_THROW(registry.counter("dup_total", "other help", {"x"}), std::logic_error);

  auto& h = registry.histogram("dup_seconds", "d", {}, {1, 2});
  EXPECT_EQ(&registry.histogram("dup_seconds", "d", {}, {1, 2}), &h);
  EXPECT_THROW(registry.histogram("dup_seconds", "d", {}, {1, 3}), std::logic_error);
  // A histogram owns its _bucket, _sum and _count series, in both orders of registration.
  EXPECT_THROW(registry.counter("dup_seconds_count", "d"), std::logic_error);
  registry.gauge("lat_sum", "g");
  EXPECT_THROW(registry.histogram("lat", "h"), std::logic_error);

  registry.gauge_callback("up_seconds", "u", [] { return 1.0; });
  EXPECT_THROW(registry.gauge_callback("up_seconds", "u", [] { return 2.0; }), std::logic_error);
  EXPECT_THROW(registry.gauge("up_seconds", "u"), std::logic_error);
  registry.gauge("plain", "p");
  EXPECT_THROW(registry.gauge_callback("plain", "p", [] { return 1.0; }), std::logic_error);

  // Each family is exposed once.
  const std::string text = registry.expose();
  EXPECT_EQ(text.find("# TYPE dup_total"), text.rfind("# TYPE dup_total"));
  expect_valid_exposition(text);
}

TEST(MetricsRegistry, CallbackGaugesAreReadAtScrapeTime) {
  Registry registry;
  double uptime = 1;
  registry.gauge_callback("uptime_seconds", "Seconds since start", [&] { return uptime; });
  registry.gauge_callback("broken", "Throws", []() -> double { throw std::runtime_error("x"); });
  // A callback may use the registry: exposition holds no registry lock while calling it.
  registry.gauge_callback("scrapes", "Scrapes so far", [&] {
    Counter& c = registry.counter("scrapes_seen_total", "s").labels();
    c.inc();
    return c.value();
  });
  EXPECT_THROW(registry.gauge_callback("empty", "e", nullptr), std::invalid_argument);

  std::string text = registry.expose();
  EXPECT_EQ(text,
            "# HELP uptime_seconds Seconds since start\n"
            "# TYPE uptime_seconds gauge\n"
            "uptime_seconds 1\n"
            "# HELP broken Throws\n"
            "# TYPE broken gauge\n"
            "broken NaN\n"
            "# HELP scrapes Scrapes so far\n"
            "# TYPE scrapes gauge\n"
            "scrapes 1\n");
  uptime = 2.5;
  text = registry.expose();
  EXPECT_EQ(sample(text, "uptime_seconds"), "2.5");
  EXPECT_EQ(sample(text, "scrapes"), "2");
  EXPECT_EQ(sample(text, "scrapes_seen_total"), "2");
}

TEST(MetricsRegistry, ConcurrentUpdatesAreExact) {
  constexpr int kThreads = 8;
  constexpr int kIterations = 20000;
  constexpr int kShards = 16;
  Registry registry;
  auto& requests = registry.counter("req_total", "r", {"who"});
  auto& sharded = registry.counter("sharded_total", "s", {"shard"});
  auto& cost = registry.counter("cost_total", "c");
  auto& inflight = registry.gauge("inflight", "i");
  auto& latency = registry.histogram("lat_seconds", "l", {"who"}, {0.5, 1});

  std::atomic<bool> done{false};
  // A scraper runs alongside, as Prometheus would; each scrape must stay well-formed.
  std::thread scraper([&] {
    while (!done.load()) {
      const std::string text = registry.expose();
      ASSERT_FALSE(text.empty());
    }
  });
  std::vector<std::thread> workers;
  for (int t = 0; t < kThreads; ++t) {
    workers.emplace_back([&, t] {
      Counter& mine = requests.labels({"thread" + std::to_string(t)});
      Histogram& my_latency = latency.labels({"thread" + std::to_string(t)});
      for (int i = 0; i < kIterations; ++i) {
        requests.labels({"shared"}).inc();  // looked up every time: the read-lock path
        mine.inc();
        // All threads race to create the same shard children.
        sharded.labels({std::to_string(i % kShards)}).inc();
        cost.labels().inc(0.25);
        inflight.labels().inc();
        my_latency.observe(i % 2 == 0 ? 0.25 : 0.75);
        latency.labels({"shared"}).observe(2);
        inflight.labels().dec();
      }
    });
  }
  for (auto& w : workers) w.join();
  done = true;
  scraper.join();

  EXPECT_EQ(requests.labels({"shared"}).value(), double{kThreads} * kIterations);
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(requests.labels({"thread" + std::to_string(t)}).value(), kIterations);
    const Histogram::Snapshot s = latency.labels({"thread" + std::to_string(t)}).snapshot();
    EXPECT_EQ(s.cumulative, (std::vector<uint64_t>{kIterations / 2, kIterations, kIterations}));
    EXPECT_EQ(s.sum, kIterations / 2 * 0.25 + kIterations / 2 * 0.75);
  }
  for (int k = 0; k < kShards; ++k) {
    EXPECT_EQ(sharded.labels({std::to_string(k)}).value(),
              double{kThreads} * kIterations / kShards);
  }
  EXPECT_EQ(cost.labels().value(), kThreads * kIterations * 0.25);
  EXPECT_EQ(inflight.labels().value(), 0);
  const Histogram::Snapshot shared = latency.labels({"shared"}).snapshot();
  EXPECT_EQ(shared.count, uint64_t{kThreads} * kIterations);
  EXPECT_EQ(shared.sum, 2.0 * kThreads * kIterations);

  const std::string text = registry.expose();
  EXPECT_EQ(sample(text, "req_total{who=\"shared\"}"), std::to_string(kThreads * kIterations));
  EXPECT_EQ(sample(text, "cost_total"), std::to_string(kThreads * kIterations / 4));
  expect_valid_exposition(text);
}

TEST(MetricsRegistry, ConcurrentRegistrationReturnsOneFamily) {
  Registry registry;
  std::vector<Family<Counter>*> seen(8);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < seen.size(); ++t) {
    threads.emplace_back([&, t] {
      seen[t] = &registry.counter("racy_total", "r", {"a"});
      seen[t]->labels({"x"}).inc();
    });
  }
  for (auto& th : threads) th.join();
  for (auto* f : seen) EXPECT_EQ(f, seen[0]);
  EXPECT_EQ(registry.expose(),
            "# HELP racy_total r\n# TYPE racy_total counter\nracy_total{a=\"x\"} 8\n");
}

}  // namespace
}  // namespace agentlearn::metrics
