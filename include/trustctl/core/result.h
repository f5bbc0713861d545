// Result<T>: a value or an Error, shaped like std::expected so it can be swapped for it later.
#pragma once

#include <cassert>
#include <utility>
#include <variant>

#include "trustctl/core/error.h"

namespace trustctl {

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit on purpose
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return check(), std::get<0>(v_); }
  const T& value() const& { return check(), std::get<0>(v_); }
  T&& value() && { return check(), std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const {
    assert(!ok());
    return std::get<1>(v_);
  }

 private:
  void check() const { assert(ok()); }
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const {
    assert(!ok_);
    return error_;
  }

 private:
  Error error_{ErrorCode::kInternal, ""};
  bool ok_ = true;
};

using Status = Result<void>;

}  // namespace trustctl

#define TRUSTCTL_CONCAT_INNER(a, b) a##b
#define TRUSTCTL_CONCAT(a, b) TRUSTCTL_CONCAT_INNER(a, b)

// TRUSTCTL_TRY(expr): evaluates a Result<void>/Status and returns its error from the enclosing
// function.
#define TRUSTCTL_TRY(expr)                                          \
  do {                                                              \
    auto&& trustctl_try_status_ = (expr);                           \
    if (!trustctl_try_status_) return trustctl_try_status_.error(); \
  } while (false)

// TRUSTCTL_TRY_ASSIGN(lhs, expr): evaluates a Result<T>, returns its error, or moves the value into
// lhs.
#define TRUSTCTL_TRY_ASSIGN(lhs, expr) \
  TRUSTCTL_TRY_ASSIGN_IMPL(TRUSTCTL_CONCAT(trustctl_try_result_, __LINE__), lhs, expr)
#define TRUSTCTL_TRY_ASSIGN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                             \
  if (!tmp) return tmp.error();                  \
  lhs = std::move(tmp).value()
