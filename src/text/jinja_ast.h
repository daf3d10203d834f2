#pragma once

// The syntax tree of a parsed chat template: expressions and statements.
//
// Built once by ParseTemplate (jinja_parser.h) and then only read, so one
// tree serves concurrent renders. Every node keeps the template line it came
// from, for error messages.

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "text/jinja_value.h"

namespace inferd::jinja {

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

enum class ExprKind {
  kLiteral,    // literal
  kName,       // name
  kList,       // args: items; a tuple when `negate` is set
  kDict,       // args: key0, value0, key1, value1, ...
  kUnary,      // name: "not", "-", "+"; args[0]
  kBinary,     // name: the operator ("+", "==", "in", "not in", "and", ...)
  kCondition,  // args: then, condition, else (else may be null)
  kGetAttr,    // args[0].name
  kGetItem,    // args[0][args[1]]
  kSlice,      // args[0][args[1]:args[2]:args[3]]; missing parts are null
  kCall,       // args[0](args[1:], kwargs)
  kFilter,     // args[0] | name(args[1:], kwargs)
  kTest,       // args[0] is [not] name(args[1:]); negate
};

struct Expr {
  ExprKind kind;
  int line = 0;
  Value literal;
  std::string name;
  std::vector<ExprPtr> args;
  std::vector<std::pair<std::string, ExprPtr>> kwargs;
  bool negate = false;  // kTest: `is not`; kList: a tuple
};

struct Stmt;
using StmtPtr = std::unique_ptr<Stmt>;
using Body = std::vector<StmtPtr>;

enum class StmtKind {
  kText,    // text
  kOutput,  // {{ expr }}
  kIf,      // branches (condition, body); else_body
  kFor,     // targets in expr [if filter]: body [else: else_body]
  kSet,     // targets = expr, or ns.attr = expr, or {% set x %}body
  kMacro,   // name(params): body
  kBreak,
  kContinue,
  kScope,  // body run in place ({% generation %})
};

struct MacroParam {
  std::string name;
  ExprPtr default_value;  // null: required
};

struct Stmt {
  StmtKind kind;
  int line = 0;
  std::string text;
  ExprPtr expr;
  std::vector<std::pair<ExprPtr, Body>> branches;
  Body body;
  Body else_body;
  // kFor loop variables / kSet names (several: tuple unpacking).
  std::vector<std::string> targets;
  // kSet: `{% set ns.attr = ... %}` assigns attribute `attr` of `ns`.
  std::string target_attr;
  ExprPtr filter;  // kFor: `for x in xs if filter`
  // kMacro
  std::string name;
  std::vector<MacroParam> params;
};

}  // namespace inferd::jinja
