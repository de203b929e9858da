#include "store/postgres/postgres_text_format.hpp"

#include <charconv>

namespace agentlearn::pg_impl {

void append_double(std::string& out, double v) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);  // shortest exact round trip
  (void)ec;
  out.append(buf, end);
}

void append_int(std::string& out, int64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  (void)ec;
  out.append(buf, end);
}

std::string& CopyRow::field() {
  if (!first_) out_ += '\t';
  first_ = false;
  return out_;
}

CopyRow& CopyRow::null() {
  field() += "\\N";
  return *this;
}

CopyRow& CopyRow::text(std::string_view v) {
  std::string& out = field();
  for (char c : v) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      default: out += c;
    }
  }
  return *this;
}

CopyRow& CopyRow::opt_text(const std::optional<std::string>& v) { return v ? text(*v) : null(); }

CopyRow& CopyRow::dbl(double v) {
  append_double(field(), v);
  return *this;
}

CopyRow& CopyRow::opt_dbl(const std::optional<double>& v) { return v ? dbl(*v) : null(); }

CopyRow& CopyRow::int64(int64_t v) {
  append_int(field(), v);
  return *this;
}

CopyRow& CopyRow::boolean(bool v) {
  field() += v ? 't' : 'f';
  return *this;
}

CopyRow& CopyRow::opt_boolean(const std::optional<bool>& v) { return v ? boolean(*v) : null(); }

// An element always quoted, so commas, braces, spaces and the word NULL are data; inside
// quotes only backslash and double quote need escaping.
void ArrayBuilder::text(std::string_view v) {
  std::string& out = next();
  out += '"';
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    out += c;
  }
  out += '"';
}

void ArrayBuilder::opt_text(const std::optional<std::string>& v) {
  if (v) {
    text(*v);
  } else {
    next() += "NULL";
  }
}

void ArrayBuilder::dbl(double v) { append_double(next(), v); }

void ArrayBuilder::opt_dbl(const std::optional<double>& v) {
  if (v) {
    dbl(*v);
  } else {
    next() += "NULL";
  }
}

void ArrayBuilder::opt_boolean(const std::optional<bool>& v) {
  if (v) {
    boolean(*v);
  } else {
    next() += "NULL";
  }
}

void ArrayBuilder::int64(int64_t v) { append_int(next(), v); }

}  // namespace agentlearn::pg_impl
