#pragma once
// Result<T>: the control-path error type (config load, module load).
// The data path never uses it; it returns small enums instead.
#include <optional>
#include <string>
#include <utility>

namespace gantry {

struct Failure {
  std::string message;  // already carries "file:line:col: key: ..." when known
};

template <typename T>
class Result {
 public:
  Result(T value) : value_(std::move(value)) {}            // NOLINT: implicit by design
  Result(Failure err) : error_(std::move(err.message)) {}    // NOLINT
  bool ok() const { return value_.has_value(); }
  explicit operator bool() const { return ok(); }
  T& value() { return *value_; }
  const T& value() const { return *value_; }
  T& operator*() { return *value_; }
  T* operator->() { return &*value_; }
  const std::string& error() const { return error_; }

 private:
  std::optional<T> value_;
  std::string error_;
};

}  // namespace gantry
