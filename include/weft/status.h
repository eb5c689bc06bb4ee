#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace weft {

// How the runtime should treat a failure. Connectors classify; the runtime decides what to do
// (retry, pause, fail the pipeline). See DESIGN.md §4.
enum class ErrorKind {
  kRetryable,  // timeouts, 5xx, 429, broker unavailable, lock contention: try again later
  kPermanent,  // the same request will fail again: validation, schema rejection, most 4xx
  kInvalidConfig,  // the user's configuration is wrong; nothing was attempted
  kCancelled,      // the operation was abandoned because the pipeline is stopping
};

const char* to_string(ErrorKind kind);

// An error as a value: what failed and where, in words a user can act on.
class Error {
 public:
  Error(ErrorKind kind, std::string message) : kind_(kind), message_(std::move(message)) {}

  static Error retryable(std::string message) { return {ErrorKind::kRetryable, std::move(message)}; }
  static Error permanent(std::string message) { return {ErrorKind::kPermanent, std::move(message)}; }
  static Error invalid_config(std::string message) {
    return {ErrorKind::kInvalidConfig, std::move(message)};
  }
  static Error cancelled(std::string message) { return {ErrorKind::kCancelled, std::move(message)}; }

  ErrorKind kind() const { return kind_; }
  bool retryable() const { return kind_ == ErrorKind::kRetryable; }
  const std::string& message() const { return message_; }

  // A peer's hint of when to try again (an HTTP Retry-After, a broker throttle time).
  std::optional<std::chrono::milliseconds> retry_after() const { return retry_after_; }
  Error& with_retry_after(std::chrono::milliseconds delay) {
    retry_after_ = delay;
    return *this;
  }

  // Prefixes context ("sink file: ") so the message says where the failure happened.
  Error& with_context(const std::string& where) {
    message_ = where + ": " + message_;
    return *this;
  }

 private:
  ErrorKind kind_;
  std::string message_;
  std::optional<std::chrono::milliseconds> retry_after_;
};

// Either a value or an Error. Data-plane code returns these instead of throwing.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}         // NOLINT(google-explicit-constructor)
  Result(Error error) : state_(std::move(error)) {}     // NOLINT(google-explicit-constructor)

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const { return std::get<1>(state_); }

 private:
  std::variant<T, Error> state_;
};

// Success or an Error, for operations that return nothing.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)) {}  // NOLINT(google-explicit-constructor)
  static Status ok_status() { return {}; }

  bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  const Error& error() const { return *error_; }

 private:
  std::optional<Error> error_;
};

}  // namespace weft
