#pragma once
// Values as PostgreSQL's text formats want them: COPY rows for the writer, array literals for
// the writer's unnest() insert and the recommendation log.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace agentlearn::pg_impl {

// Shortest exact round trip.
void append_double(std::string& out, double v);
void append_int(std::string& out, int64_t v);

// One row of COPY's text format appended to `out`: fields separated by tabs, backslash, tab,
// newline and carriage return escaped, \N for NULL; end() closes the row.
class CopyRow {
 public:
  explicit CopyRow(std::string& out) : out_(out) {}
  CopyRow& text(std::string_view v);
  CopyRow& opt_text(const std::optional<std::string>& v);
  CopyRow& dbl(double v);
  CopyRow& opt_dbl(const std::optional<double>& v);
  CopyRow& int64(int64_t v);
  CopyRow& boolean(bool v);
  CopyRow& opt_boolean(const std::optional<bool>& v);
  void end() { out_ += '\n'; }

 private:
  std::string& field();  // `out`, after the separator the field needs
  CopyRow& null();
  std::string& out_;
  bool first_ = true;
};

// One array literal ("{...}"), element by element.
class ArrayBuilder {
 public:
  void clear() { s_.assign(1, '{'); }
  void text(std::string_view v);
  void opt_text(const std::optional<std::string>& v);
  void dbl(double v);
  void opt_dbl(const std::optional<double>& v);
  void boolean(bool v) { next() += v ? 't' : 'f'; }
  void opt_boolean(const std::optional<bool>& v);
  void int64(int64_t v);
  const char* finish() {
    s_ += '}';
    return s_.c_str();
  }

 private:
  std::string& next() {
    if (s_.size() > 1) s_ += ',';
    return s_;
  }
  std::string s_ = "{";
};

}  // namespace agentlearn::pg_impl
