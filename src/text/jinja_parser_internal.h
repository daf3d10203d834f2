#pragma once

// The recursive-descent parser behind ParseTemplate (text/jinja_parser.h),
// shared by its two halves: statements and the token helpers in
// jinja_parser.cc, expressions in jinja_expression_parser.cc. Internal to
// the chat template library; use ParseTemplate.
//
// One Parser parses one template's tokens, once; not thread-safe.

#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "text/jinja_ast.h"
#include "text/jinja_lexer.h"

namespace inferd::jinja::internal {

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : tokens_(std::move(tokens)) {}

  absl::StatusOr<Body> Run();

 private:
  static absl::Status Error(int line, std::string_view message);

  const Token& Current() const { return tokens_[pos_]; }
  const Token& Peek(size_t ahead) const;
  void Next();
  bool IsOp(std::string_view op) const;
  bool IsName(std::string_view name) const;
  absl::Status ExpectOp(std::string_view op);
  absl::Status ExpectBlockEnd();
  absl::StatusOr<std::string> ExpectName();
  static std::string Describe(const Token& t);

  static ExprPtr Make(ExprKind kind, int line);
  static StmtPtr MakeStmt(StmtKind kind, int line);

  // Statements until a block tag named in `stop` (left unconsumed: the
  // caller reads it) or the end of the template.
  absl::StatusOr<Body> ParseBody(const std::set<std::string>& stop);

  // At "{%" followed by a tag name.
  absl::StatusOr<StmtPtr> ParseStatement();

  absl::Status ConsumeEndTag(std::string_view name);

  absl::StatusOr<StmtPtr> ParseIf(int line);

  // `a`, `a, b` or `(a, b)`.
  absl::StatusOr<std::vector<std::string>> ParseTargets();

  absl::StatusOr<StmtPtr> ParseFor(int line);

  absl::StatusOr<StmtPtr> ParseSet(int line);

  absl::StatusOr<StmtPtr> ParseMacro(int line);

  bool AtTupleEnd() const;

  // An expression, or a comma-separated tuple of them (a list value).
  absl::StatusOr<ExprPtr> ParseTuple(bool with_condexpr);

  absl::StatusOr<ExprPtr> ParseExpression(bool with_condexpr);

  static ExprPtr Binary(std::string op, ExprPtr left, ExprPtr right, int line);

  absl::StatusOr<ExprPtr> ParseOr();

  absl::StatusOr<ExprPtr> ParseAnd();

  absl::StatusOr<ExprPtr> ParseNot();

  absl::StatusOr<ExprPtr> ParseCompare();

  absl::StatusOr<ExprPtr> ParseMath1();

  absl::StatusOr<ExprPtr> ParseConcat();

  absl::StatusOr<ExprPtr> ParseMath2();

  absl::StatusOr<ExprPtr> ParsePow();

  absl::StatusOr<ExprPtr> ParseUnary(bool with_filter);

  static ExprPtr Literal(Value v, int line);

  absl::StatusOr<ExprPtr> ParsePrimary();

  absl::StatusOr<ExprPtr> ParsePostfix(ExprPtr node);

  // After "[": an index or a slice, through "]".
  absl::StatusOr<ExprPtr> ParseSubscript(ExprPtr node, int line);

  // At "(": positional and keyword arguments into `e`, through ")".
  absl::Status ParseCallArgs(Expr* e);

  absl::StatusOr<ExprPtr> ParseCall(ExprPtr callee);

  // Filter and test names passed as strings (map('upper'),
  // select('equalto', 1), selectattr('x', 'defined')) are checked too.
  absl::Status CheckNamedArguments(const Expr& filter);

  absl::StatusOr<ExprPtr> ParseFilterExpr(ExprPtr node);

  std::vector<Token> tokens_;
  size_t pos_ = 0;
  int loop_depth_ = 0;
  std::set<std::string> macros_;
  std::vector<std::pair<std::string, int>> called_names_;
};

}  // namespace inferd::jinja::internal
