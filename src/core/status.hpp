#pragma once
// Expected failures as values (after Abseil's Status / StatusOr): bad input, not found,
// conflict, store down. Only domain codes live here; what is purely a transport matter (no
// token, wrong role, wrong method, body too large, wrong media type) belongs to the transport,
// which has its own error type and turns either kind into its error answer in one place.
#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace agentlearn {

enum class StatusCode {
  kOk,
  kInvalidArgument,  // bad input; names the field when it can
  kNotFound,
  kConflict,         // contradicts what is stored, or an operation already under way
  kUnavailable,      // try again later (the store is down, overloaded)
  kInternal,
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message, std::string field = {})
      : code_(code), message_(std::move(message)), field_(std::move(field)) {}

  static Status Ok() { return {}; }
  static Status Invalid(std::string message, std::string field = {}) {
    return {StatusCode::kInvalidArgument, std::move(message), std::move(field)};
  }
  static Status NotFound(std::string message) { return {StatusCode::kNotFound, std::move(message)}; }
  static Status Conflict(std::string message, std::string field = {}) {
    return {StatusCode::kConflict, std::move(message), std::move(field)};
  }
  static Status Unavailable(std::string message) {
    return {StatusCode::kUnavailable, std::move(message)};
  }
  static Status Internal(std::string message) { return {StatusCode::kInternal, std::move(message)}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // The one input field to blame, or empty.
  const std::string& field() const { return field_; }
  // A finer machine-readable reason than the code ("invalid_json"), or empty.
  const std::string& reason() const { return reason_; }
  Status&& with_reason(std::string reason) && {
    reason_ = std::move(reason);
    return std::move(*this);
  }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
  std::string field_;
  std::string reason_;
};

template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  StatusOr(Status status) : v_(std::move(status)) { assert(!std::get<Status>(v_).ok()); }  // NOLINT

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace agentlearn
