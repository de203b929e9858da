#include "metrics/registry.hpp"

#include <charconv>
#include <cmath>
#include <stdexcept>
#include <type_traits>
#include <typeinfo>
#include <unordered_set>
#include <utility>

namespace agentlearn::metrics {
namespace {

bool is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// [a-zA-Z_:][a-zA-Z0-9_:]*
bool valid_metric_name(std::string_view s) {
  if (s.empty() || is_digit(s[0])) return false;
  for (char c : s) {
    if (!is_letter(c) && !is_digit(c) && c != '_' && c != ':') return false;
  }
  return true;
}

// [a-zA-Z_][a-zA-Z0-9_]*, and names starting with "__" are Prometheus' own.
bool valid_label_name(std::string_view s) {
  if (s.empty() || is_digit(s[0]) || s.starts_with("__")) return false;
  for (char c : s) {
    if (!is_letter(c) && !is_digit(c) && c != '_') return false;
  }
  return true;
}

// Length of the well-formed UTF-8 sequence at s[i], or 0 (overlong forms, surrogates and
// code points above U+10FFFF are ill-formed, as Prometheus' parser sees them).
size_t utf8_sequence_length(std::string_view s, size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) return 1;
  size_t n;
  uint32_t cp;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2, cp = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3, cp = c & 0x0F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4, cp = c & 0x07;
  } else {
    return 0;
  }
  if (s.size() - i < n) return 0;
  for (size_t k = 1; k < n; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b & 0x3F);
  }
  if (n == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) return 0;
  if (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) return 0;
  return n;
}

std::string sanitize_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    if (const size_t n = utf8_sequence_length(s, i); n > 0) {
      out.append(s.substr(i, n));
      i += n;
    } else {
      out += "\xEF\xBF\xBD";  // U+FFFD, one per bad byte
      ++i;
    }
  }
  return out;
}

// Prometheus parses numbers with Go's ParseFloat: integral values print as integers (no
// "1e+06" for a million requests), others in the shortest form that reads back exactly.
void append_number(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
    return;
  }
  if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
    return;
  }
  char buf[64];
  std::to_chars_result r;
  if (v == std::trunc(v) && std::fabs(v) < 0x1p63) {
    r = std::to_chars(buf, buf + sizeof buf, static_cast<int64_t>(v));
  } else {
    r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::general);
  }
  out.append(buf, r.ptr);
}

void append_number(std::string& out, uint64_t v) {
  char buf[24];
  out.append(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
}

void append_label_value(std::string& out, std::string_view v) {
  for (char c : v) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      default: out += c;
    }
  }
}

void append_help(std::string& out, std::string_view help) {
  for (char c : help) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      default: out += c;
    }
  }
}

// `a="x",b="y"` for one child: built once and reused for each of a histogram's lines.
std::string format_labels(const std::vector<std::string>& names,
                          const std::vector<std::string>& values) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += ',';
    out += names[i];
    out += "=\"";
    append_label_value(out, values[i]);
    out += '"';
  }
  return out;
}

// One sample line; `le` is empty except on histogram buckets.
template <class Number>
void append_sample(std::string& out, std::string_view name, std::string_view suffix,
                   std::string_view labels, std::string_view le, Number value) {
  out += name;
  out += suffix;
  if (!labels.empty() || !le.empty()) {
    out += '{';
    out += labels;
    if (!le.empty()) {
      if (!labels.empty()) out += ',';
      out += "le=\"";
      out += le;
      out += '"';
    }
    out += '}';
  }
  out += ' ';
  append_number(out, value);
  out += '\n';
}

std::vector<double> checked_bounds(std::vector<double> bounds) {
  // +Inf is always the last bucket, so callers may spell it or not.
  if (!bounds.empty() && bounds.back() == HUGE_VAL) bounds.pop_back();
  for (size_t i = 0; i < bounds.size(); ++i) {
    if (!std::isfinite(bounds[i])) {
      throw std::invalid_argument("histogram bucket bounds must be finite");
    }
    if (i > 0 && !(bounds[i - 1] < bounds[i])) {
      throw std::invalid_argument("histogram bucket bounds must be strictly increasing");
    }
  }
  return bounds;
}

// Scrape-time gauge or counter; it has no children, so it is not a Family.
class CallbackMetric final : public detail::FamilyBase {
 public:
  CallbackMetric(std::string_view name, std::string_view help, std::string_view type,
                 std::function<double()> read)
      : FamilyBase(name, help, {}), type_(type), read_(std::move(read)) {
    if (!read_) throw std::invalid_argument("callback metric " + this->name() + ": empty function");
  }
  std::string_view type() const override { return type_; }

 private:
  void write_samples(std::string& out) const override {
    double value;
    try {
      value = read_();
    } catch (...) {
      // A scrape must still succeed; NaN says "unknown" without inventing a value.
      value = std::nan("");
    }
    append_sample(out, name(), "", "", "", value);
  }

  std::string_view type_;  // "gauge" or "counter", a literal
  std::function<double()> read_;
};

}  // namespace

std::vector<double> exponential_buckets(double start, double factor, int count) {
  if (!(start > 0) || !(factor > 1) || count < 1) {
    throw std::invalid_argument("exponential_buckets needs start > 0, factor > 1, count >= 1");
  }
  std::vector<double> bounds;
  bounds.reserve(static_cast<size_t>(count));
  for (double b = start; count-- > 0; b *= factor) bounds.push_back(b);
  return bounds;
}

// ---- children ----

void Counter::inc(double amount) {
  if (!(amount >= 0)) throw std::invalid_argument("counter increment must be non-negative");
  // Whole amounts (token counts) stay exact and lock-free; 2^53 keeps the cast exact.
  if (amount == std::trunc(amount) && amount < 0x1p53) {
    whole_.fetch_add(static_cast<uint64_t>(amount), std::memory_order_relaxed);
  } else {
    fraction_.fetch_add(amount, std::memory_order_relaxed);
  }
}

double Counter::value() const noexcept {
  return static_cast<double>(whole_.load(std::memory_order_relaxed)) +
         fraction_.load(std::memory_order_relaxed);
}

Histogram::Histogram(std::span<const double> bounds)
    : bounds_(bounds), counts_(std::make_unique<std::atomic<uint64_t>[]>(bounds.size() + 1)) {}

void Histogram::observe(double value) noexcept {
  // First bound >= value; NaN compares false everywhere, so send it to +Inf explicitly.
  const size_t i =
      std::isnan(value)
          ? bounds_.size()
          : static_cast<size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), value) -
                                bounds_.begin());
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot s;
  s.cumulative.resize(bounds_.size() + 1);
  uint64_t running = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    running += counts_[i].load(std::memory_order_relaxed);
    s.cumulative[i] = running;
  }
  s.count = running;
  s.sum = sum_.load(std::memory_order_relaxed);
  return s;
}

// ---- families ----

namespace detail {

FamilyBase::FamilyBase(std::string_view name, std::string_view help,
                       std::vector<std::string> label_names)
    : name_(name), help_(sanitize_utf8(help)), label_names_(std::move(label_names)) {
  if (!valid_metric_name(name_)) {
    throw std::invalid_argument("invalid metric name \"" + name_ + "\"");
  }
  std::unordered_set<std::string_view> seen;
  for (const auto& label : label_names_) {
    if (!valid_label_name(label)) {
      throw std::invalid_argument("metric " + name_ + ": invalid label name \"" + label + "\"");
    }
    if (!seen.insert(label).second) {
      throw std::invalid_argument("metric " + name_ + ": duplicate label name \"" + label + "\"");
    }
  }
}

void FamilyBase::write(std::string& out) const {
  // An empty help would leave "# HELP name " with nothing to say; Prometheus does not need it.
  if (!help_.empty()) {
    out += "# HELP ";
    out += name_;
    out += ' ';
    append_help(out, help_);
    out += '\n';
  }
  out += "# TYPE ";
  out += name_;
  out += ' ';
  out += type();
  out += '\n';
  write_samples(out);
}

}  // namespace detail

template <class Child>
Family<Child>::Family(std::string_view name, std::string_view help,
                      std::vector<std::string> label_names, std::vector<double> bounds)
    : FamilyBase(name, help, std::move(label_names)), bounds_(checked_bounds(std::move(bounds))) {
  if constexpr (std::is_same_v<Child, Histogram>) {
    for (const auto& label : this->label_names()) {
      if (label == "le") {
        throw std::invalid_argument("histogram " + this->name() +
                                    ": label name \"le\" is reserved");
      }
    }
  }
  // Prometheus' advice: a metric without labels exists from the start, at zero, so rate()
  // and alerts see it before the first event.
  if (this->label_names().empty()) labels();
}

template <class Child>
Child& Family<Child>::labels(std::span<const std::string_view> values) {
  if (values.size() != label_names().size()) {
    throw std::invalid_argument("metric " + name() + ": expected " +
                                std::to_string(label_names().size()) + " label values, got " +
                                std::to_string(values.size()));
  }
  {
    std::shared_lock lock(mutex_);
    if (auto it = children_.find(values); it != children_.end()) return it->second;
  }
  std::vector<std::string> key;
  key.reserve(values.size());
  for (std::string_view v : values) key.push_back(sanitize_utf8(v));
  std::unique_lock lock(mutex_);
  // Another thread may have created it between the two locks; try_emplace keeps the first.
  if constexpr (std::is_same_v<Child, Histogram>) {
    return children_.try_emplace(std::move(key), std::span<const double>(bounds_)).first->second;
  } else {
    return children_.try_emplace(std::move(key)).first->second;
  }
}

template <class Child>
std::string_view Family<Child>::type() const {
  if constexpr (std::is_same_v<Child, Counter>) {
    return "counter";
  } else if constexpr (std::is_same_v<Child, Gauge>) {
    return "gauge";
  } else {
    return "histogram";
  }
}

template <class Child>
std::vector<std::string> Family<Child>::suffixed_names() const {
  if constexpr (std::is_same_v<Child, Histogram>) {
    return {name() + "_bucket", name() + "_sum", name() + "_count"};
  } else {
    return {};
  }
}

template <class Child>
bool Family<Child>::same_options(const FamilyBase& other) const {
  return bounds_ == static_cast<const Family&>(other).bounds_;
}

template <class Child>
void Family<Child>::write_samples(std::string& out) const {
  std::shared_lock lock(mutex_);
  for (const auto& [values, child] : children_) {
    const std::string labels = format_labels(label_names(), values);
    if constexpr (std::is_same_v<Child, Histogram>) {
      const Histogram::Snapshot s = child.snapshot();
      std::string le;
      for (size_t i = 0; i < bounds_.size(); ++i) {
        le.clear();
        append_number(le, bounds_[i]);
        append_sample(out, name(), "_bucket", labels, le, s.cumulative[i]);
      }
      append_sample(out, name(), "_bucket", labels, "+Inf", s.count);
      append_sample(out, name(), "_sum", labels, "", s.sum);
      append_sample(out, name(), "_count", labels, "", s.count);
    } else {
      append_sample(out, name(), "", labels, "", child.value());
    }
  }
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

// ---- registry ----

Registry::Registry() = default;
Registry::~Registry() = default;

Family<Counter>& Registry::counter(std::string_view name, std::string_view help,
                                   std::vector<std::string> label_names) {
  return static_cast<Family<Counter>&>(add(std::unique_ptr<detail::FamilyBase>(
      new Family<Counter>(name, help, std::move(label_names), {}))));
}

Family<Gauge>& Registry::gauge(std::string_view name, std::string_view help,
                               std::vector<std::string> label_names) {
  return static_cast<Family<Gauge>&>(add(std::unique_ptr<detail::FamilyBase>(
      new Family<Gauge>(name, help, std::move(label_names), {}))));
}

Family<Histogram>& Registry::histogram(std::string_view name, std::string_view help,
                                       std::vector<std::string> label_names,
                                       std::vector<double> buckets) {
  return static_cast<Family<Histogram>&>(add(std::unique_ptr<detail::FamilyBase>(
      new Family<Histogram>(name, help, std::move(label_names), std::move(buckets)))));
}

void Registry::gauge_callback(std::string_view name, std::string_view help,
                              std::function<double()> read) {
  add(std::make_unique<CallbackMetric>(name, help, "gauge", std::move(read)));
}

void Registry::counter_callback(std::string_view name, std::string_view help, std::function<double()> read) {
  add(std::make_unique<CallbackMetric>(name, help, "counter", std::move(read)));
}

// The candidate is built (and validated) before taking the lock; if the name exists, the
// candidate only serves to compare with and is dropped.
detail::FamilyBase& Registry::add(std::unique_ptr<detail::FamilyBase> candidate) {
  const std::string& name = candidate->name();
  std::lock_guard lock(mutex_);
  if (auto it = names_.find(name); it != names_.end()) {
    detail::FamilyBase& existing = *it->second;
    if (existing.name() != name) {
      throw std::logic_error("metric " + name + " clashes with a series of " +
                             std::string(existing.type()) + " " + existing.name());
    }
    const detail::FamilyBase& fresh = *candidate;
    if (typeid(existing) != typeid(fresh)) {
      throw std::logic_error("metric " + name + " is already registered as another kind of " +
                             std::string(existing.type()));
    }
    if (dynamic_cast<const CallbackMetric*>(&existing) != nullptr) {
      throw std::logic_error("callback metric " + name + " is already registered");
    }
    if (existing.label_names() != candidate->label_names()) {
      throw std::logic_error("metric " + name + " is already registered with other label names");
    }
    if (existing.help() != candidate->help()) {
      throw std::logic_error("metric " + name + " is already registered with other help text");
    }
    if (!existing.same_options(*candidate)) {
      throw std::logic_error("metric " + name + " is already registered with other buckets");
    }
    return existing;
  }
  const std::vector<std::string> suffixed = candidate->suffixed_names();
  for (const auto& series : suffixed) {
    if (auto it = names_.find(series); it != names_.end()) {
      throw std::logic_error("metric " + name + " would expose " + series + ", already " +
                             std::string(it->second->type()) + " " + it->second->name());
    }
  }
  detail::FamilyBase* family = families_.emplace_back(std::move(candidate)).get();
  names_.emplace(family->name(), family);
  for (const auto& series : suffixed) names_.emplace(series, family);
  return *family;
}

std::string Registry::expose() const {
  // Families are never removed, so pointers taken under the lock stay valid after it; writing
  // without it lets scrape-time callbacks use the registry and keeps registration unblocked.
  std::vector<const detail::FamilyBase*> families;
  {
    std::lock_guard lock(mutex_);
    families.reserve(families_.size());
    for (const auto& f : families_) families.push_back(f.get());
  }
  std::string out;
  out.reserve(families.size() * 256);
  for (const auto* f : families) f->write(out);
  return out;
}

}  // namespace agentlearn::metrics
