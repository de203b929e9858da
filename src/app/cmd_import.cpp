#include "app/cmd_import.hpp"

#include <fmt/format.h>
#include <simdjson.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <thread>

#include "app/client_options.hpp"
#include "app/cmd_record.hpp"
#include "app/csv_reader.hpp"
#include "core/execution_json.hpp"
#include "core/json_text.hpp"
#include "core/json_writer.hpp"
#include "core/time.hpp"
#include "http/client.hpp"

namespace agentlearn {

namespace {

using Clock = std::chrono::steady_clock;

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool equals_nocase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// RFC 8259's number grammar: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
bool is_json_number(std::string_view s) {
  size_t i = 0;
  auto digits = [&] {
    size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    return i > start;
  };
  if (i < s.size() && s[i] == '-') ++i;
  if (i < s.size() && s[i] == '0') {
    ++i;
  } else if (!digits()) {
    return false;
  }
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (!digits()) return false;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (!digits()) return false;
  }
  return i == s.size();
}

// A CSV cell as a JSON number, if the whole (trimmed) cell is a finite number. A cell that
// already is a JSON number is kept as written ("1.0" stays 1.0, "14" stays an integer): the
// stored context and metrics, and so the duplicate check, match what a JSONL import of the
// same values would store. Other spellings ("+5", ".5", "007") are normalised.
std::optional<std::string> number_json(std::string_view cell) {
  cell = trim(cell);
  if (cell.empty()) return std::nullopt;
  const char* first = cell.data();
  const char* last = cell.data() + cell.size();
  if (*first == '+') ++first;  // from_chars takes no plus sign
  int64_t i = 0;
  double d = 0;
  bool is_int = false, is_double = false;
  if (auto [end, ec] = std::from_chars(first, last, i); ec == std::errc() && end == last) is_int = true;
  if (!is_int) {
    auto [end, ec] = std::from_chars(first, last, d);
    is_double = ec == std::errc() && end == last && std::isfinite(d);
  }
  if (!is_int && !is_double) return std::nullopt;
  bool integer_text = cell.find_first_of(".eE") == std::string_view::npos;
  // An integer beyond 64 bits is kept as a double: the JSON parser refuses bigger ones.
  if (is_json_number(cell) && (is_int || !integer_text)) return std::string(cell);
  return is_int ? std::to_string(i) : fmt::format("{}", d);
}

void append_member(std::string& out, std::string_view name, std::string_view value_json) {
  if (out.size() > 1) out.push_back(',');
  append_json_string(out, name);
  out.push_back(':');
  out += value_json;
}

}  // namespace

// ---------------------------------------------------------------------------------------
// CSV header and rows.

StatusOr<CsvRecordMapper> CsvRecordMapper::from_header(const std::vector<std::string>& header) {
  static const std::vector<std::pair<std::string_view, Kind>> kFields = {
      {"agent_id", Kind::kString},         {"task_id", Kind::kString},
      {"execution_time", Kind::kNumber},   {"success", Kind::kBool},
      {"task_description", Kind::kString}, {"task_type", Kind::kString},
      {"execution_id", Kind::kString},     {"recommendation_id", Kind::kString},
      {"timestamp", Kind::kString},        {"context", Kind::kContextObject},
      {"metrics", Kind::kMetricsObject},
  };
  CsvRecordMapper m;
  std::set<std::string> seen;
  bool context_members = false, metrics_members = false, context_object = false, metrics_object = false;
  for (size_t i = 0; i < header.size(); ++i) {
    std::string name(trim(header[i]));
    if (name.empty()) return Status::Invalid(fmt::format("column {} of the header has no name", i + 1));
    if (!seen.insert(name).second) return Status::Invalid(fmt::format("column '{}' appears twice in the header", name));
    Column col{Kind::kString, name};
    bool known = false;
    for (auto& [field, kind] : kFields) {
      if (name == field) {
        col.kind = kind;
        known = true;
      }
    }
    if (!known) {
      auto member = [&](std::string_view prefix, Kind kind) {
        if (name.size() > prefix.size() && name.compare(0, prefix.size(), prefix) == 0) {
          col = {kind, name.substr(prefix.size())};
          known = true;
        }
      };
      member("context.", Kind::kContextMember);
      member("metrics.", Kind::kMetricsMember);
    }
    if (!known) {
      return Status::Invalid(fmt::format(
          "column '{}' is not an execution field; columns are agent_id, task_id, execution_time, success, "
          "task_description, task_type, execution_id, recommendation_id, timestamp, context, metrics, "
          "context.NAME and metrics.NAME",
          name));
    }
    context_members |= col.kind == Kind::kContextMember;
    metrics_members |= col.kind == Kind::kMetricsMember;
    context_object |= col.kind == Kind::kContextObject;
    metrics_object |= col.kind == Kind::kMetricsObject;
    m.columns_.push_back(std::move(col));
  }
  // A whole-object column and member columns would have to be merged, and which one wins
  // for a member in both is a guess: refuse the combination.
  if (context_object && context_members) {
    return Status::Invalid("the header has both a context column and context.NAME columns; use one or the other");
  }
  if (metrics_object && metrics_members) {
    return Status::Invalid("the header has both a metrics column and metrics.NAME columns; use one or the other");
  }
  return m;
}

StatusOr<std::string> CsvRecordMapper::to_json(const std::vector<std::string>& row) const {
  if (row.size() != columns_.size()) {
    return Status::Invalid(fmt::format("expected {} fields, as in the header, but found {}", columns_.size(), row.size()));
  }
  std::string out = "{";
  std::string context = "{";
  std::string metrics = "{";
  std::string_view context_object, metrics_object;
  for (size_t i = 0; i < columns_.size(); ++i) {
    const Column& col = columns_[i];
    const std::string& cell = row[i];
    switch (col.kind) {
      case Kind::kString: {
        if (cell.empty()) break;  // absent; a required one is then reported as required
        std::string value;
        append_json_string(value, cell);
        append_member(out, col.name, value);
        break;
      }
      case Kind::kNumber: {
        if (trim(cell).empty()) break;
        auto n = number_json(cell);
        if (!n) return Status::Invalid(fmt::format("{} must be a number, got '{}'", col.name, cell), col.name);
        append_member(out, col.name, *n);
        break;
      }
      case Kind::kBool: {
        if (trim(cell).empty()) break;
        auto b = parse_boolean_text(cell);
        if (!b) {
          return Status::Invalid(fmt::format("{} must be true or false (or 1/0, yes/no), got '{}'", col.name, cell),
                                 col.name);
        }
        append_member(out, col.name, *b ? "true" : "false");
        break;
      }
      case Kind::kContextMember:
      case Kind::kMetricsMember: {
        std::string& target = col.kind == Kind::kContextMember ? context : metrics;
        if (cell.empty()) break;
        std::string_view t = trim(cell);
        if (equals_nocase(t, "true") || equals_nocase(t, "false")) {
          append_member(target, col.name, equals_nocase(t, "true") ? "true" : "false");
        } else if (auto n = number_json(t)) {
          append_member(target, col.name, *n);
        } else {
          std::string value;
          append_json_string(value, cell);
          append_member(target, col.name, value);
        }
        break;
      }
      case Kind::kContextObject:
      case Kind::kMetricsObject: {
        std::string_view t = trim(cell);
        if (t.empty()) break;
        const char* field = col.kind == Kind::kContextObject ? "context" : "metrics";
        simdjson::dom::parser parser;
        simdjson::dom::element doc;
        if (auto err = parser.parse(t.data(), t.size()).get(doc)) {
          return Status::Invalid(fmt::format("{} is not valid JSON: {}", field, simdjson::error_message(err)), field);
        }
        (col.kind == Kind::kContextObject ? context_object : metrics_object) = t;
        break;
      }
    }
  }
  context.push_back('}');
  metrics.push_back('}');
  if (!context_object.empty()) {
    append_member(out, "context", context_object);
  } else if (context.size() > 2) {
    append_member(out, "context", context);
  }
  if (!metrics_object.empty()) {
    append_member(out, "metrics", metrics_object);
  } else if (metrics.size() > 2) {
    append_member(out, "metrics", metrics);
  }
  out.push_back('}');
  return out;
}

namespace {

// ---------------------------------------------------------------------------------------
// Record sources: each yields, per record, its starting line and its JSON or why not.

struct SourceItem {
  size_t line = 0;
  std::string json;
  Status error;  // not ok: the record is rejected without being parsed
};

class RecordSource {
 public:
  virtual ~RecordSource() = default;
  // False at the end of the input.
  virtual bool next(SourceItem& item) = 0;
  virtual size_t lines_read() const = 0;
  virtual uint64_t bytes_read() const = 0;
};

// JSON Lines, read in chunks: one line in memory at a time, however large the file.
class JsonlSource : public RecordSource {
 public:
  explicit JsonlSource(std::istream& in) : in_(in), buf_(64 * 1024) {}

  bool next(SourceItem& item) override {
    std::string line;
    for (;;) {
      bool too_long = false;
      if (!read_line(line, too_long)) return false;
      item.line = line_;
      item.error = Status::Ok();
      if (too_long) {
        item.json.clear();
        item.error = Status::Invalid(fmt::format("the line is longer than {} bytes", kMaxLineBytes));
        return true;
      }
      if (line_ == 1 && line.size() >= 3 && std::memcmp(line.data(), "\xEF\xBB\xBF", 3) == 0) line.erase(0, 3);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (trim(line).empty()) continue;  // blank lines separate nothing and are no record
      item.json = std::move(line);
      return true;
    }
  }
  size_t lines_read() const override { return line_; }
  uint64_t bytes_read() const override { return bytes_; }

 private:
  // Beyond the server's whole-batch limit no single record can be sent anyway.
  static constexpr size_t kMaxLineBytes = 16u << 20;

  bool read_line(std::string& line, bool& too_long) {
    line.clear();
    bool any = false;
    for (;;) {
      if (pos_ == end_) {
        if (eof_) break;
        in_.read(buf_.data(), static_cast<std::streamsize>(buf_.size()));
        end_ = static_cast<size_t>(in_.gcount());
        pos_ = 0;
        bytes_ += end_;
        if (end_ == 0) {
          eof_ = true;
          break;
        }
      }
      any = true;
      const char* start = buf_.data() + pos_;
      const void* nl = std::memchr(start, '\n', end_ - pos_);
      size_t n = nl ? static_cast<size_t>(static_cast<const char*>(nl) - start) : end_ - pos_;
      if (!too_long) {
        if (line.size() + n > kMaxLineBytes) {
          too_long = true;
          line.clear();
        } else {
          line.append(start, n);
        }
      }
      pos_ += n;
      if (nl) {
        ++pos_;
        break;
      }
    }
    if (!any) return false;
    ++line_;
    return true;
  }

  std::istream& in_;
  std::vector<char> buf_;
  size_t pos_ = 0, end_ = 0;
  bool eof_ = false;
  size_t line_ = 0;
  uint64_t bytes_ = 0;
};

class CsvSource : public RecordSource {
 public:
  CsvSource(CsvRecordMapper mapper, CsvReader reader) : reader_(std::move(reader)), mapper_(std::move(mapper)) {}

  // Reads the header; InvalidArgument (with the line) when there is none or it is bad.
  static StatusOr<std::unique_ptr<CsvSource>> open(std::istream& in) {
    // Ragged rows are checked against the header by the mapper, per record, so one bad row
    // is one rejected record, with its line, not the end of the import.
    CsvOptions options;
    options.require_same_width = false;
    CsvReader reader(in, options);
    std::vector<std::string> header;
    auto got = reader.next(header);
    if (!got.ok()) return got.status();
    if (!*got) return Status::Invalid("the CSV file is empty: it needs a header row naming the columns");
    auto mapper = CsvRecordMapper::from_header(header);
    if (!mapper.ok()) return Status::Invalid(fmt::format("line {}: {}", reader.record_line(), mapper.status().message()));
    return std::make_unique<CsvSource>(std::move(mapper).value(), std::move(reader));
  }

  bool next(SourceItem& item) override {
    auto got = reader_.next(row_);
    if (!got.ok()) {
      item.line = reader_.last_error().line;
      item.json.clear();
      item.error = Status::Invalid(reader_.last_error().message);
      return true;
    }
    if (!*got) return false;
    item.line = reader_.record_line();
    auto json = mapper_.to_json(row_);
    if (json.ok()) {
      item.json = std::move(json).value();
      item.error = Status::Ok();
    } else {
      item.json.clear();
      item.error = json.status();
    }
    return true;
  }
  size_t lines_read() const override { return reader_.current_line() - 1; }
  uint64_t bytes_read() const override { return reader_.bytes_read(); }

 private:
  CsvReader reader_;
  CsvRecordMapper mapper_;
  std::vector<std::string> row_;
};

// ---------------------------------------------------------------------------------------
// Counting and reporting.

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

// ---------------------------------------------------------------------------------------
// Sinks: where the valid records go.

struct Pending {
  size_t line;
  std::string json;     // sent to a server as it was read
  Execution execution;  // written to a store (--db)
};

class Sink {
 public:
  virtual ~Sink() = default;
  // Stores the batch, counting into `tally`. Records the destination refuses one by one
  // (a conflicting execution_id) are counted as rejected and the rest are sent again. A
  // non-ok Status means the destination failed and the import must stop.
  virtual Status send(std::vector<Pending>& batch, Tally& tally) = 0;
};

class ServerSink : public Sink {
 public:
  ServerSink(const ClientOptions& o, std::chrono::seconds retry_budget, Progress& progress)
      : client_(o.url), token_(o.token), retry_budget_(retry_budget), progress_(progress) {}

  Status send(std::vector<Pending>& batch, Tally& tally) override {
    // Groups of indices into `batch` still to send: a 413 splits one in two, a 409 removes
    // the conflicting records from it.
    std::vector<std::vector<size_t>> work(1);
    for (size_t i = 0; i < batch.size(); ++i) work[0].push_back(i);
    while (!work.empty()) {
      std::vector<size_t> group = std::move(work.back());
      work.pop_back();
      if (group.empty()) continue;
      std::string body = "{\"records\":[";
      for (size_t k = 0; k < group.size(); ++k) {
        if (k) body.push_back(',');
        body += batch[group[k]].json;
      }
      body += "]}";
      auto res = post_with_retry(body);
      if (!res.ok()) return res.status();
      if (res->status == 200 || res->status == 201) {
        auto answer = nlohmann::json::parse(res->body, nullptr, false);
        if (!answer.is_object() || !answer.contains("recorded")) {
          return Status::Internal(fmt::format("the server answered HTTP {} with an unexpected body: {}", res->status,
                                              res->body.substr(0, 200)));
        }
        tally.imported += answer.value("recorded", uint64_t{0});
        tally.duplicates += answer.value("duplicates", uint64_t{0});
        continue;
      }
      ServerError err = read_server_error(*res);
      if ((res->status == 409 || res->status == 400) && !err.errors.empty()) {
        // Nothing of this group was stored: drop the records the server named, send the rest.
        std::vector<bool> bad(group.size(), false);
        size_t named = 0;
        for (const RecordError& e : err.errors) {
          if (e.index >= group.size() || bad[e.index]) continue;
          bad[e.index] = true;
          ++named;
          tally.reject(batch[group[e.index]].line, e.field, e.message);
        }
        if (named == 0) return Status::Internal(describe_server_error(err));
        std::vector<size_t> rest;
        for (size_t k = 0; k < group.size(); ++k) {
          if (!bad[k]) rest.push_back(group[k]);
        }
        work.push_back(std::move(rest));
        continue;
      }
      if (res->status == 413) {
        if (group.size() > 1) {
          size_t half = group.size() / 2;
          work.emplace_back(group.begin() + static_cast<std::ptrdiff_t>(half), group.end());
          work.emplace_back(group.begin(), group.begin() + static_cast<std::ptrdiff_t>(half));
        } else {
          tally.reject(batch[group[0]].line, "", "the record is larger than the server accepts: " + err.message);
        }
        continue;
      }
      // Anything else (401 and 403 included: the token is the operator's to fix, and retrying
      // will not help) stops the import; the message carries the HTTP status.
      return Status::Internal(describe_server_error(err));
    }
    return Status::Ok();
  }

 private:
  // 503 means overloaded or the store is down for a moment: wait (as long as Retry-After
  // asks, else with exponential backoff) and send again, for at most `retry_budget_`.
  StatusOr<ClientResponse> post_with_retry(const std::string& body) {
    auto deadline = Clock::now() + retry_budget_;
    auto backoff = std::chrono::milliseconds(250);
    for (;;) {
      auto res = client_.request(boost::beast::http::verb::post, "/agent/performance/batch", body,
                                 "application/json", token_);
      if (!res.ok() || res->status != 503) return res;
      auto wait = backoff;
      unsigned retry_after = 0;
      std::string_view ra = trim(res->retry_after);
      if (auto [end, ec] = std::from_chars(ra.data(), ra.data() + ra.size(), retry_after);
          !ra.empty() && ec == std::errc() && end == ra.data() + ra.size()) {
        wait = std::chrono::milliseconds(std::min(retry_after, 30u) * 1000);
      }
      if (Clock::now() + wait > deadline) {
        return Status::Unavailable(fmt::format("the server stayed unavailable for {} s: {}", retry_budget_.count(),
                                               describe_server_error(read_server_error(*res))));
      }
      progress_.note(fmt::format("the server is busy (HTTP 503); retrying in {:.1f} s",
                                 std::chrono::duration<double>(wait).count()));
      std::this_thread::sleep_for(wait);
      backoff = std::min(backoff * 2, std::chrono::milliseconds(8000));
    }
  }

  HttpClient client_;
  std::string token_;
  std::chrono::seconds retry_budget_;
  Progress& progress_;
};

class StoreSink : public Sink {
 public:
  explicit StoreSink(std::unique_ptr<DirectWriter> writer) : writer_(std::move(writer)) {}

  Status send(std::vector<Pending>& batch, Tally& tally) override {
    std::vector<size_t> group(batch.size());
    for (size_t i = 0; i < batch.size(); ++i) group[i] = i;
    while (!group.empty()) {
      // A copy: on a conflict nothing was stored and the rest must be written again.
      std::vector<Execution> records;
      records.reserve(group.size());
      for (size_t i : group) records.push_back(batch[i].execution);
      WriteOutcome outcome = writer_->write(std::move(records));
      if (outcome.status.ok()) {
        for (const StoredExecution& r : outcome.results) ++(r.duplicate ? tally.duplicates : tally.imported);
        return Status::Ok();
      }
      if (outcome.conflicts.empty()) return outcome.status;
      std::vector<bool> bad(group.size(), false);
      for (const RecordError& e : outcome.conflicts) {
        if (e.index >= group.size() || bad[e.index]) continue;
        bad[e.index] = true;
        tally.reject(batch[group[e.index]].line, e.field, e.message);
      }
      std::vector<size_t> rest;
      for (size_t k = 0; k < group.size(); ++k) {
        if (!bad[k]) rest.push_back(group[k]);
      }
      if (rest.size() == group.size()) return outcome.status;  // nothing named: do not loop
      group = std::move(rest);
    }
    return Status::Ok();
  }

 private:
  std::unique_ptr<DirectWriter> writer_;
};

// ---------------------------------------------------------------------------------------
// The command.

struct ImportFlags {
  ClientOptions client;
  std::string file;
  std::string format;  // "", "jsonl" or "csv"
  size_t batch_size = 1000;
  bool no_progress = false;
  int retry_seconds = 30;
};

// A batch stops growing past this many bytes of JSON, well under the server's 16 MiB limit
// on one batch body, whatever the batch size.
constexpr size_t kMaxBatchBytes = 8u << 20;
constexpr size_t kPrintedErrors = 20;

std::string format_rejection(const Rejection& r) {
  if (r.field.empty() || r.message.find(r.field) != std::string::npos) {
    return fmt::format("line {}: {}", r.line, r.message);
  }
  return fmt::format("line {}: {}: {}", r.line, r.field, r.message);
}

void print_summary(const ImportFlags& f, const Tally& t, double seconds, const Status& failure) {
  if (f.client.json) {
    nlohmann::ordered_json j;
    j["imported"] = t.imported;
    j["duplicates"] = t.duplicates;
    j["rejected"] = t.rejected;
    auto errors = nlohmann::ordered_json::array();
    for (const Rejection& r : t.errors) {
      nlohmann::ordered_json e;
      e["line"] = r.line;
      e["field"] = r.field.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(r.field);
      e["message"] = r.message;
      errors.push_back(std::move(e));
    }
    j["errors"] = std::move(errors);
    if (t.errors.size() < t.rejected) j["errors_truncated"] = true;
    j["records"] = t.records;
    j["seconds"] = std::round(seconds * 1000) / 1000;
    if (!failure.ok()) j["error"] = failure.message();
    std::cout << json_text(j) << '\n';
    return;
  }
  std::cout << fmt::format("imported {}, duplicates {}, rejected {}\n", t.imported, t.duplicates, t.rejected);
  double rate = seconds > 0 ? static_cast<double>(t.imported + t.duplicates) / seconds : 0;
  std::cout << fmt::format("{} records read in {:.2f} s ({:.0f} records/s)\n", t.records, seconds, rate);
  if (t.rejected > 0) {
    std::cout << fmt::format("{} record{} rejected and not imported{}:\n", t.rejected,
                             t.rejected == 1 ? " was" : "s were",
                             t.rejected > kPrintedErrors ? fmt::format(" (the first {})", kPrintedErrors) : "");
    for (size_t i = 0; i < t.errors.size() && i < kPrintedErrors; ++i) {
      std::cout << "  " << format_rejection(t.errors[i]) << '\n';
    }
    if (t.rejected > kPrintedErrors) {
      std::cout << fmt::format("  ... and {} more (--json lists them all)\n", t.rejected - kPrintedErrors);
    }
  }
}

std::string detect_format(const ImportFlags& f) {
  if (!f.format.empty()) return f.format;
  std::string ext = std::filesystem::path(f.file).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext == ".csv" ? "csv" : "jsonl";
}

int run_import(ImportFlags& f) {
  resolve_client_options(f.client);
  auto fail_input = [](const std::string& message) {
    std::cerr << "error: " << message << '\n';
    return kExitInvalidInput;
  };
  auto db = direct_store_url(f.client);
  if (!db.ok()) return fail_input(db.status().message());
  f.client.db = *db;

  std::ifstream file;
  std::istream* in = &std::cin;
  uint64_t total_bytes = 0;
  if (f.file != "-") {
    std::error_code ec;
    if (std::filesystem::is_directory(f.file, ec)) return fail_input(fmt::format("{} is a directory", f.file));
    file.open(f.file, std::ios::binary);
    if (!file) return fail_input(fmt::format("cannot open {}: {}", f.file, std::strerror(errno)));
    auto size = std::filesystem::file_size(f.file, ec);
    if (!ec && std::filesystem::is_regular_file(f.file, ec)) total_bytes = size;
    in = &file;
  }

  std::unique_ptr<RecordSource> source;
  if (detect_format(f) == "csv") {
    auto csv = CsvSource::open(*in);
    if (!csv.ok()) return fail_input(fmt::format("{}: {}", f.file == "-" ? "stdin" : f.file, csv.status().message()));
    source = std::move(csv).value();
  } else {
    source = std::make_unique<JsonlSource>(*in);
  }

  Progress progress(!f.no_progress && isatty(STDERR_FILENO) == 1, total_bytes);
  std::unique_ptr<Sink> sink;
  if (f.client.db) {
    auto writer = DirectWriter::open(*f.client.db);
    if (!writer.ok()) {
      std::cerr << "error: " << writer.status().message() << '\n';
      // A --db URL that names no store is the user's to fix; a store that fails is not.
      return writer.status().code() == StatusCode::kInvalidArgument ? kExitInvalidInput : kExitFailure;
    }
    sink = std::make_unique<StoreSink>(std::move(writer).value());
  } else {
    sink = std::make_unique<ServerSink>(f.client, std::chrono::seconds(f.retry_seconds), progress);
  }

  auto start = Clock::now();
  Tally tally;
  Status failure;
  std::vector<Pending> batch;
  size_t batch_bytes = 0;
  auto flush = [&] {
    if (batch.empty()) return;
    failure = sink->send(batch, tally);
    batch.clear();
    batch_bytes = 0;
  };

  SourceItem item;
  while (failure.ok() && source->next(item)) {
    ++tally.records;
    if (!item.error.ok()) {
      tally.reject(item.line, item.error);
    } else {
      // The same validation as the server's, so a bad record is named here, with its line,
      // and the batch it would have spoiled goes through.
      auto parsed = parse_execution(item.json, now_us());
      if (!parsed.ok()) {
        tally.reject(item.line, parsed.status());
      } else {
        batch_bytes += item.json.size() + 1;
        Pending p{item.line, f.client.db ? std::string() : std::move(item.json), Execution{}};
        if (f.client.db) p.execution = std::move(parsed).value();
        batch.push_back(std::move(p));
        if (batch.size() >= f.batch_size || batch_bytes >= kMaxBatchBytes) flush();
      }
    }
    progress.update(tally, source->lines_read(), source->bytes_read());
  }
  if (failure.ok()) flush();
  progress.update(tally, source->lines_read(), source->bytes_read(), true);
  progress.finish();
  sink.reset();  // the store writer commits and stops before the time is taken
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();

  print_summary(f, tally, seconds, failure);
  if (!failure.ok()) {
    std::cerr << "error: " << failure.message() << '\n'
              << "the import stopped at line " << source->lines_read()
              << "; records before the failed batch are stored, run it again to finish (stored records count as "
                 "duplicates)\n";
    return kExitFailure;
  }
  if (tally.records > 0 && tally.rejected == tally.records) {
    std::cerr << "error: every record was rejected; nothing was imported\n";
    return kExitInvalidInput;
  }
  return kExitOk;
}

}  // namespace

void register_import_command(CLI::App& app) {
  auto flags = std::make_shared<ImportFlags>();
  CLI::App* cmd = app.add_subcommand("import", "Import executions from a JSONL or CSV file");
  cmd->footer(
      "JSONL: one execution (a JSON object, as POST /agent/performance takes it) per line.\n"
      "CSV: a header row names the columns: agent_id, task_id, execution_time, success,\n"
      "task_description, task_type, execution_id, recommendation_id, timestamp, and\n"
      "context.NAME / metrics.NAME for members of context and metrics (numbers, true/false,\n"
      "or text; an empty cell leaves the member out), or context / metrics holding a whole JSON\n"
      "object. success takes true/false, 1/0, yes/no.\n"
      "Records are checked before sending; refused ones are listed with their line numbers.\n"
      "Exit status: 0 done (even with some records rejected), 2 every record was rejected or the\n"
      "file is unusable, 1 the server or store failed.\n");
  add_client_options(*cmd, flags->client);
  cmd->add_option("file", flags->file, "JSONL or CSV file; - reads standard input")->required();
  cmd->add_option("--format", flags->format, "jsonl or csv (default: csv for *.csv, else jsonl)")
      ->check(CLI::IsMember({"jsonl", "csv"}));
  cmd->add_option("--batch-size", flags->batch_size, "Records per request (or transaction with --db)")
      ->capture_default_str()
      ->check(CLI::Range(1, 10000));
  cmd->add_option("--retry-seconds", flags->retry_seconds,
                  "How long to keep retrying a batch while the server answers 503")
      ->capture_default_str()
      ->check(CLI::Range(0, 3600));
  cmd->add_flag("--no-progress", flags->no_progress, "Do not show the progress line (shown only on a terminal)");
  cmd->callback([flags] {
    int code = run_import(*flags);
    if (code != kExitOk) throw CLI::RuntimeError(code);
  });
}

}  // namespace agentlearn
