#pragma once
// One writer for every JSON answer (after Envoy's json_streamer): it is the one place that
// escapes strings (invalid UTF-8 becomes U+FFFD), writes numbers (NaN and infinities, which
// JSON cannot carry, become null) and places the commas, so no hand-written answer can come
// out as invalid JSON. Output goes straight into a std::string; nothing is built in between.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace agentlearn {

// Appends `s` as a JSON string literal (with quotes) to `out`; bytes that are not UTF-8
// become U+FFFD, so the result is always valid JSON. JsonWriter's strings go through it.
void append_json_string(std::string& out, std::string_view s);

class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}

  JsonWriter& begin_object() { return open('{'); }
  JsonWriter& end_object() { return close('}'); }
  JsonWriter& begin_array() { return open('['); }
  JsonWriter& end_array() { return close(']'); }
  // A member name inside an object; the value follows.
  JsonWriter& key(std::string_view name);

  JsonWriter& string(std::string_view s);
  JsonWriter& number(double v);  // null when not finite
  JsonWriter& integer(int64_t v);
  JsonWriter& unsigned_integer(uint64_t v);
  JsonWriter& boolean(bool v);
  JsonWriter& null();
  // Minified JSON text that is already valid (a stored context object), as a value.
  JsonWriter& raw(std::string_view json);

  // Optionals: the value, or null.
  JsonWriter& string_or_null(const std::optional<std::string>& s) { return s ? string(*s) : null(); }
  JsonWriter& number_or_null(const std::optional<double>& v) { return v ? number(*v) : null(); }

  // key(name) then the value.
  template <typename T>
  JsonWriter& member(std::string_view name, const T& value) {
    key(name);
    return value_of(value);
  }

 private:
  JsonWriter& value_of(std::string_view v) { return string(v); }
  JsonWriter& value_of(const std::string& v) { return string(std::string_view(v)); }
  JsonWriter& value_of(const char* v) { return string(std::string_view(v)); }
  JsonWriter& value_of(const std::optional<std::string>& v) { return string_or_null(v); }
  JsonWriter& value_of(double v) { return number(v); }
  JsonWriter& value_of(const std::optional<double>& v) { return number_or_null(v); }
  JsonWriter& value_of(bool v) { return boolean(v); }
  template <typename I>
  JsonWriter& value_of(I v) requires std::is_integral_v<I> {
    if constexpr (std::is_signed_v<I>) {
      return integer(static_cast<int64_t>(v));
    } else {
      return unsigned_integer(static_cast<uint64_t>(v));
    }
  }

  void before_value();
  JsonWriter& open(char bracket);
  JsonWriter& close(char bracket);

  std::string& out_;
  // Per open container: whether a value was written in it yet (a comma goes before the next).
  std::vector<bool> has_value_;
  bool after_key_ = false;
};

}  // namespace agentlearn
