// Expressions of chat templates: the half of internal::Parser that reads
// `{{ ... }}` and the expressions inside statements (see
// jinja_parser_internal.h).

#include <set>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "text/jinja_builtins.h"
#include "text/jinja_parser_internal.h"

namespace inferd::jinja::internal {

// An expression, or a comma-separated tuple of them (a list value).
absl::StatusOr<ExprPtr> Parser::ParseTuple(bool with_condexpr) {
  int line = Current().line;
  INFERD_ASSIGN_OR_RETURN(ExprPtr first, ParseExpression(with_condexpr));
  if (!IsOp(",")) return first;
  auto tuple = Make(ExprKind::kList, line);
  tuple->negate = true;
  tuple->args.push_back(std::move(first));
  while (IsOp(",")) {
    Next();
    if (AtTupleEnd()) break;
    INFERD_ASSIGN_OR_RETURN(ExprPtr item, ParseExpression(with_condexpr));
    tuple->args.push_back(std::move(item));
  }
  return tuple;
}

absl::StatusOr<ExprPtr> Parser::ParseExpression(bool with_condexpr) {
  if (!with_condexpr) return ParseOr();
  INFERD_ASSIGN_OR_RETURN(ExprPtr expr, ParseOr());
  while (IsName("if")) {
    int line = Current().line;
    Next();
    auto cond = Make(ExprKind::kCondition, line);
    INFERD_ASSIGN_OR_RETURN(ExprPtr test, ParseOr());
    ExprPtr otherwise;
    if (IsName("else")) {
      Next();
      INFERD_ASSIGN_OR_RETURN(otherwise, ParseExpression(true));
    }
    cond->args.push_back(std::move(expr));
    cond->args.push_back(std::move(test));
    cond->args.push_back(std::move(otherwise));
    expr = std::move(cond);
  }
  return expr;
}

ExprPtr Parser::Binary(std::string op, ExprPtr left, ExprPtr right, int line) {
  auto e = Make(ExprKind::kBinary, line);
  e->name = std::move(op);
  e->args.push_back(std::move(left));
  e->args.push_back(std::move(right));
  return e;
}

absl::StatusOr<ExprPtr> Parser::ParseOr() {
  INFERD_ASSIGN_OR_RETURN(ExprPtr left, ParseAnd());
  while (IsName("or")) {
    int line = Current().line;
    Next();
    INFERD_ASSIGN_OR_RETURN(ExprPtr right, ParseAnd());
    left = Binary("or", std::move(left), std::move(right), line);
  }
  return left;
}

absl::StatusOr<ExprPtr> Parser::ParseAnd() {
  INFERD_ASSIGN_OR_RETURN(ExprPtr left, ParseNot());
  while (IsName("and")) {
    int line = Current().line;
    Next();
    INFERD_ASSIGN_OR_RETURN(ExprPtr right, ParseNot());
    left = Binary("and", std::move(left), std::move(right), line);
  }
  return left;
}

absl::StatusOr<ExprPtr> Parser::ParseNot() {
  if (IsName("not")) {
    int line = Current().line;
    Next();
    auto e = Make(ExprKind::kUnary, line);
    e->name = "not";
    INFERD_ASSIGN_OR_RETURN(ExprPtr operand, ParseNot());
    e->args.push_back(std::move(operand));
    return e;
  }
  return ParseCompare();
}

absl::StatusOr<ExprPtr> Parser::ParseCompare() {
  INFERD_ASSIGN_OR_RETURN(ExprPtr left, ParseMath1());
  bool compared = false;
  while (true) {
    int line = Current().line;
    std::string op;
    if (Current().kind == TokenKind::kOperator &&
        (Current().text == "==" || Current().text == "!=" ||
         Current().text == "<" || Current().text == "<=" ||
         Current().text == ">" || Current().text == ">=")) {
      op = Current().text;
      Next();
    } else if (IsName("in")) {
      op = "in";
      Next();
    } else if (IsName("not") && Peek(1).kind == TokenKind::kName &&
               Peek(1).text == "in") {
      op = "not in";
      Next();
      Next();
    } else {
      return left;
    }
    if (compared) {
      return Error(line, "unsupported chained comparison");
    }
    compared = true;
    INFERD_ASSIGN_OR_RETURN(ExprPtr right, ParseMath1());
    left = Binary(op, std::move(left), std::move(right), line);
  }
}

absl::StatusOr<ExprPtr> Parser::ParseMath1() {
  INFERD_ASSIGN_OR_RETURN(ExprPtr left, ParseConcat());
  while (IsOp("+") || IsOp("-")) {
    std::string op = Current().text;
    int line = Current().line;
    Next();
    INFERD_ASSIGN_OR_RETURN(ExprPtr right, ParseConcat());
    left = Binary(op, std::move(left), std::move(right), line);
  }
  return left;
}

absl::StatusOr<ExprPtr> Parser::ParseConcat() {
  INFERD_ASSIGN_OR_RETURN(ExprPtr left, ParseMath2());
  while (IsOp("~")) {
    int line = Current().line;
    Next();
    INFERD_ASSIGN_OR_RETURN(ExprPtr right, ParseMath2());
    left = Binary("~", std::move(left), std::move(right), line);
  }
  return left;
}

absl::StatusOr<ExprPtr> Parser::ParseMath2() {
  INFERD_ASSIGN_OR_RETURN(ExprPtr left, ParsePow());
  while (IsOp("*") || IsOp("/") || IsOp("//") || IsOp("%")) {
    std::string op = Current().text;
    int line = Current().line;
    Next();
    INFERD_ASSIGN_OR_RETURN(ExprPtr right, ParsePow());
    left = Binary(op, std::move(left), std::move(right), line);
  }
  return left;
}

absl::StatusOr<ExprPtr> Parser::ParsePow() {
  INFERD_ASSIGN_OR_RETURN(ExprPtr left, ParseUnary(true));
  while (IsOp("**")) {
    int line = Current().line;
    Next();
    INFERD_ASSIGN_OR_RETURN(ExprPtr right, ParseUnary(true));
    left = Binary("**", std::move(left), std::move(right), line);
  }
  return left;
}

absl::StatusOr<ExprPtr> Parser::ParseUnary(bool with_filter) {
  ExprPtr node;
  if (IsOp("-") || IsOp("+")) {
    auto e = Make(ExprKind::kUnary, Current().line);
    e->name = Current().text;
    Next();
    INFERD_ASSIGN_OR_RETURN(ExprPtr operand, ParseUnary(false));
    e->args.push_back(std::move(operand));
    node = std::move(e);
  } else {
    INFERD_ASSIGN_OR_RETURN(node, ParsePrimary());
  }
  INFERD_ASSIGN_OR_RETURN(node, ParsePostfix(std::move(node)));
  if (with_filter) {
    INFERD_ASSIGN_OR_RETURN(node, ParseFilterExpr(std::move(node)));
  }
  return node;
}

ExprPtr Parser::Literal(Value v, int line) {
  auto e = Make(ExprKind::kLiteral, line);
  e->literal = std::move(v);
  return e;
}

absl::StatusOr<ExprPtr> Parser::ParsePrimary() {
  const Token& t = Current();
  int line = t.line;
  switch (t.kind) {
    case TokenKind::kName: {
      std::string name = t.text;
      Next();
      if (name == "true" || name == "True")
        return Literal(Value::Bool(true), line);
      if (name == "false" || name == "False")
        return Literal(Value::Bool(false), line);
      if (name == "none" || name == "None")
        return Literal(Value::None(), line);
      auto e = Make(ExprKind::kName, line);
      e->name = std::move(name);
      return e;
    }
    case TokenKind::kString: {
      std::string s;
      while (Current().kind == TokenKind::kString) {
        s += Current().text;
        Next();
      }
      return Literal(Value::String(std::move(s)), line);
    }
    case TokenKind::kInteger: {
      int64_t v = t.int_value;
      Next();
      return Literal(Value::Int(v), line);
    }
    case TokenKind::kFloat: {
      double v = t.float_value;
      Next();
      return Literal(Value::Float(v), line);
    }
    case TokenKind::kOperator:
      if (t.text == "(") {
        Next();
        if (IsOp(")")) {
          Next();
          auto empty = Make(ExprKind::kList, line);
          empty->negate = true;
          return empty;
        }
        INFERD_ASSIGN_OR_RETURN(ExprPtr inner, ParseTuple(true));
        INFERD_RETURN_IF_ERROR(ExpectOp(")"));
        return inner;
      }
      if (t.text == "[") {
        Next();
        auto list = Make(ExprKind::kList, line);
        while (!IsOp("]")) {
          INFERD_ASSIGN_OR_RETURN(ExprPtr item, ParseExpression(true));
          list->args.push_back(std::move(item));
          if (!IsOp(",")) break;
          Next();
        }
        INFERD_RETURN_IF_ERROR(ExpectOp("]"));
        return list;
      }
      if (t.text == "{") {
        Next();
        auto dict = Make(ExprKind::kDict, line);
        while (!IsOp("}")) {
          INFERD_ASSIGN_OR_RETURN(ExprPtr key, ParseExpression(true));
          INFERD_RETURN_IF_ERROR(ExpectOp(":"));
          INFERD_ASSIGN_OR_RETURN(ExprPtr value, ParseExpression(true));
          dict->args.push_back(std::move(key));
          dict->args.push_back(std::move(value));
          if (!IsOp(",")) break;
          Next();
        }
        INFERD_RETURN_IF_ERROR(ExpectOp("}"));
        return dict;
      }
      break;
    default:
      break;
  }
  return Error(line, StrCat("unexpected ", Describe(t)));
}

absl::StatusOr<ExprPtr> Parser::ParsePostfix(ExprPtr node) {
  while (true) {
    int line = Current().line;
    if (IsOp(".")) {
      Next();
      if (Current().kind == TokenKind::kInteger) {
        auto e = Make(ExprKind::kGetItem, line);
        e->args.push_back(std::move(node));
        e->args.push_back(Literal(Value::Int(Current().int_value), line));
        Next();
        node = std::move(e);
        continue;
      }
      auto e = Make(ExprKind::kGetAttr, line);
      INFERD_ASSIGN_OR_RETURN(e->name, ExpectName());
      e->args.push_back(std::move(node));
      node = std::move(e);
    } else if (IsOp("[")) {
      Next();
      INFERD_ASSIGN_OR_RETURN(node, ParseSubscript(std::move(node), line));
    } else if (IsOp("(")) {
      INFERD_ASSIGN_OR_RETURN(node, ParseCall(std::move(node)));
    } else {
      return node;
    }
  }
}

// After "[": an index or a slice, through "]".
absl::StatusOr<ExprPtr> Parser::ParseSubscript(ExprPtr node, int line) {
  ExprPtr start;
  if (!IsOp(":")) {
    INFERD_ASSIGN_OR_RETURN(start, ParseExpression(true));
    if (IsOp("]")) {
      Next();
      auto e = Make(ExprKind::kGetItem, line);
      e->args.push_back(std::move(node));
      e->args.push_back(std::move(start));
      return e;
    }
    if (!IsOp(":")) {
      return Error(Current().line,
                   "unsupported subscript (expected \"]\" or \":\")");
    }
  }
  Next();  // ':'
  ExprPtr stop;
  ExprPtr step;
  if (!IsOp("]") && !IsOp(":")) {
    INFERD_ASSIGN_OR_RETURN(stop, ParseExpression(true));
  }
  if (IsOp(":")) {
    Next();
    if (!IsOp("]")) {
      INFERD_ASSIGN_OR_RETURN(step, ParseExpression(true));
    }
  }
  INFERD_RETURN_IF_ERROR(ExpectOp("]"));
  auto e = Make(ExprKind::kSlice, line);
  e->args.push_back(std::move(node));
  e->args.push_back(std::move(start));
  e->args.push_back(std::move(stop));
  e->args.push_back(std::move(step));
  return e;
}

// At "(": positional and keyword arguments into `e`, through ")".
absl::Status Parser::ParseCallArgs(Expr* e) {
  INFERD_RETURN_IF_ERROR(ExpectOp("("));
  while (!IsOp(")")) {
    if (IsOp("*") || IsOp("**")) {
      return Error(Current().line, "unsupported *args/**kwargs in a call");
    }
    if (Current().kind == TokenKind::kName &&
        Peek(1).kind == TokenKind::kOperator && Peek(1).text == "=") {
      std::string key = Current().text;
      Next();
      Next();
      INFERD_ASSIGN_OR_RETURN(ExprPtr value, ParseExpression(true));
      e->kwargs.emplace_back(std::move(key), std::move(value));
    } else {
      if (!e->kwargs.empty()) {
        return Error(Current().line,
                     "positional argument after a keyword argument");
      }
      INFERD_ASSIGN_OR_RETURN(ExprPtr value, ParseExpression(true));
      e->args.push_back(std::move(value));
    }
    if (!IsOp(",")) break;
    Next();
  }
  return ExpectOp(")");
}

absl::StatusOr<ExprPtr> Parser::ParseCall(ExprPtr callee) {
  int line = Current().line;
  if (callee->kind == ExprKind::kName) {
    called_names_.emplace_back(callee->name, callee->line);
  } else if (callee->kind == ExprKind::kGetAttr) {
    if (!IsSupportedMethod(callee->name)) {
      return Error(line, StrCat("unsupported method \"", callee->name, "\""));
    }
  } else {
    return Error(line, "unsupported call of a computed value");
  }
  auto e = Make(ExprKind::kCall, line);
  e->args.push_back(std::move(callee));
  INFERD_RETURN_IF_ERROR(ParseCallArgs(e.get()));
  return e;
}

// Filter and test names passed as strings (map('upper'),
// select('equalto', 1), selectattr('x', 'defined')) are checked too.
absl::Status Parser::CheckNamedArguments(const Expr& filter) {
  auto literal_name = [&](size_t index) -> const std::string* {
    if (index >= filter.args.size()) return nullptr;
    const Expr& arg = *filter.args[index];
    if (arg.kind != ExprKind::kLiteral || !arg.literal.is_string())
      return nullptr;
    return &arg.literal.as_string();
  };
  const std::string& n = filter.name;
  if (n == "select" || n == "reject") {
    const std::string* test = literal_name(1);
    if (test != nullptr && !IsSupportedTest(*test)) {
      return Error(filter.line, StrCat("unsupported test \"", *test, "\""));
    }
  } else if (n == "selectattr" || n == "rejectattr") {
    const std::string* test = literal_name(2);
    if (test != nullptr && !IsSupportedTest(*test)) {
      return Error(filter.line, StrCat("unsupported test \"", *test, "\""));
    }
  } else if (n == "map") {
    const std::string* name = literal_name(1);
    if (name != nullptr && !IsSupportedFilter(*name)) {
      return Error(filter.line, StrCat("unsupported filter \"", *name, "\""));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<ExprPtr> Parser::ParseFilterExpr(ExprPtr node) {
  while (true) {
    int line = Current().line;
    if (IsOp("|")) {
      Next();
      auto e = Make(ExprKind::kFilter, line);
      INFERD_ASSIGN_OR_RETURN(e->name, ExpectName());
      if (!IsSupportedFilter(e->name)) {
        return Error(line, StrCat("unsupported filter \"", e->name, "\""));
      }
      e->args.push_back(std::move(node));
      if (IsOp("(")) INFERD_RETURN_IF_ERROR(ParseCallArgs(e.get()));
      INFERD_RETURN_IF_ERROR(CheckNamedArguments(*e));
      node = std::move(e);
    } else if (IsName("is")) {
      Next();
      auto e = Make(ExprKind::kTest, line);
      if (IsName("not")) {
        e->negate = true;
        Next();
      }
      INFERD_ASSIGN_OR_RETURN(e->name, ExpectName());
      if (!IsSupportedTest(e->name)) {
        return Error(line, StrCat("unsupported test \"", e->name, "\""));
      }
      e->args.push_back(std::move(node));
      const Token& t = Current();
      bool arg_follows =
          (t.kind == TokenKind::kName || t.kind == TokenKind::kString ||
           t.kind == TokenKind::kInteger || t.kind == TokenKind::kFloat ||
           IsOp("[") || IsOp("{")) &&
          !IsName("else") && !IsName("or") && !IsName("and");
      if (IsOp("(")) {
        INFERD_RETURN_IF_ERROR(ParseCallArgs(e.get()));
      } else if (arg_follows) {
        if (IsName("is"))
          return Error(t.line, "tests cannot be chained with \"is\"");
        INFERD_ASSIGN_OR_RETURN(ExprPtr arg, ParsePrimary());
        INFERD_ASSIGN_OR_RETURN(arg, ParsePostfix(std::move(arg)));
        e->args.push_back(std::move(arg));
      }
      node = std::move(e);
    } else if (IsOp("(")) {
      INFERD_ASSIGN_OR_RETURN(node, ParseCall(std::move(node)));
    } else {
      return node;
    }
  }
}

}  // namespace inferd::jinja::internal
