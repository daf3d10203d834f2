#pragma once

// Early-return helpers for absl::Status / absl::StatusOr.
//
// INFERD_RETURN_IF_ERROR(expr) returns the Status of `expr` when it is not OK.
// INFERD_ASSIGN_OR_RETURN(lhs, expr) evaluates a StatusOr, returns its Status
// on error, and otherwise moves the value into `lhs` (which may declare it).

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define INFERD_RETURN_IF_ERROR(expr)           \
  do {                                         \
    ::absl::Status inferd_status_ = (expr);    \
    if (!inferd_status_.ok()) return inferd_status_; \
  } while (false)

#define INFERD_CONCAT_INNER(a, b) a##b
#define INFERD_CONCAT(a, b) INFERD_CONCAT_INNER(a, b)

#define INFERD_ASSIGN_OR_RETURN(lhs, expr)                                 \
  INFERD_ASSIGN_OR_RETURN_IMPL(INFERD_CONCAT(inferd_statusor_, __LINE__), \
                               lhs, expr)

#define INFERD_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.ok()) return tmp.status();                \
  lhs = std::move(tmp).value()
