#include "text/jinja_parser.h"

#include <algorithm>
#include <set>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "text/jinja_builtins.h"
#include "text/jinja_parser_internal.h"

namespace inferd::jinja {
namespace internal {
namespace {
constexpr std::string_view kGlobals[] = {"raise_exception", "strftime_now",
                                         "namespace", "range", "dict"};

bool IsGlobal(std::string_view name) {
  for (std::string_view g : kGlobals) {
    if (g == name) return true;
  }
  return false;
}

}  // namespace

absl::StatusOr<Body> Parser::Run() {
  INFERD_ASSIGN_OR_RETURN(Body body, ParseBody({}));
  if (Current().kind != TokenKind::kEnd) {
    // ParseBody only stops early at a block tag it does not expect.
    return Error(Peek(1).line, StrCat("unexpected {% ", Peek(1).text, " %}"));
  }
  for (const auto& [name, line] : called_names_) {
    if (!IsGlobal(name) && macros_.count(name) == 0) {
      return Error(line, StrCat("unsupported function \"", name, "\""));
    }
  }
  return body;
}

absl::Status Parser::Error(int line, std::string_view message) {
  return absl::InvalidArgumentError(
      StrCat("chat template line ", line, ": ", message));
}

const Token& Parser::Peek(size_t ahead) const {
  return tokens_[std::min(pos_ + ahead, tokens_.size() - 1)];
}

void Parser::Next() {
  if (pos_ + 1 < tokens_.size()) ++pos_;
}

bool Parser::IsOp(std::string_view op) const {
  return Current().kind == TokenKind::kOperator && Current().text == op;
}

bool Parser::IsName(std::string_view name) const {
  return Current().kind == TokenKind::kName && Current().text == name;
}

absl::Status Parser::ExpectOp(std::string_view op) {
  if (!IsOp(op)) {
    return Error(Current().line,
                 StrCat("expected \"", op, "\", got ", Describe(Current())));
  }
  Next();
  return absl::OkStatus();
}

absl::Status Parser::ExpectBlockEnd() {
  if (Current().kind != TokenKind::kBlockEnd) {
    return Error(Current().line,
                 StrCat("expected \"%}\", got ", Describe(Current())));
  }
  Next();
  return absl::OkStatus();
}

absl::StatusOr<std::string> Parser::ExpectName() {
  if (Current().kind != TokenKind::kName) {
    return Error(Current().line,
                 StrCat("expected a name, got ", Describe(Current())));
  }
  std::string name = Current().text;
  Next();
  return name;
}

std::string Parser::Describe(const Token& t) {
  switch (t.kind) {
    case TokenKind::kVariableEnd:
      return "\"}}\"";
    case TokenKind::kBlockEnd:
      return "\"%}\"";
    case TokenKind::kEnd:
      return "the end of the template";
    case TokenKind::kString:
      return StrCat("string \"", t.text, "\"");
    default:
      return StrCat("\"", t.text, "\"");
  }
}

ExprPtr Parser::Make(ExprKind kind, int line) {
  auto e = std::make_unique<Expr>();
  e->kind = kind;
  e->line = line;
  return e;
}

StmtPtr Parser::MakeStmt(StmtKind kind, int line) {
  auto s = std::make_unique<Stmt>();
  s->kind = kind;
  s->line = line;
  return s;
}

// Statements until a block tag named in `stop` (left unconsumed: the
// caller reads it) or the end of the template.
absl::StatusOr<Body> Parser::ParseBody(const std::set<std::string>& stop) {
  Body body;
  while (Current().kind != TokenKind::kEnd) {
    const Token& t = Current();
    if (t.kind == TokenKind::kText) {
      auto s = MakeStmt(StmtKind::kText, t.line);
      s->text = t.text;
      body.push_back(std::move(s));
      Next();
    } else if (t.kind == TokenKind::kVariableBegin) {
      int line = t.line;
      Next();
      auto s = MakeStmt(StmtKind::kOutput, line);
      INFERD_ASSIGN_OR_RETURN(s->expr, ParseTuple(true));
      if (Current().kind != TokenKind::kVariableEnd) {
        return Error(Current().line,
                     StrCat("expected \"}}\", got ", Describe(Current())));
      }
      Next();
      body.push_back(std::move(s));
    } else if (t.kind == TokenKind::kBlockBegin) {
      const Token& tag = Peek(1);
      if (tag.kind != TokenKind::kName) {
        return Error(tag.line, "expected a tag name after \"{%\"");
      }
      if (stop.count(tag.text) > 0) return body;
      INFERD_ASSIGN_OR_RETURN(StmtPtr s, ParseStatement());
      body.push_back(std::move(s));
    } else {
      return Error(t.line, StrCat("unexpected ", Describe(t)));
    }
  }
  if (!stop.empty()) {
    std::string wanted;
    for (const auto& s : stop) {
      if (s.rfind("end", 0) == 0) wanted = s;
    }
    return Error(
        Current().line,
        StrCat("missing {% ", wanted, " %} before the end of the template"));
  }
  return body;
}

// At "{%" followed by a tag name.
absl::StatusOr<StmtPtr> Parser::ParseStatement() {
  Next();  // {%
  const std::string tag = Current().text;
  int line = Current().line;
  Next();
  if (tag == "if") return ParseIf(line);
  if (tag == "for") return ParseFor(line);
  if (tag == "set") return ParseSet(line);
  if (tag == "macro") return ParseMacro(line);
  if (tag == "break" || tag == "continue") {
    if (loop_depth_ == 0) {
      return Error(line, StrCat("{% ", tag, " %} outside a for loop"));
    }
    INFERD_RETURN_IF_ERROR(ExpectBlockEnd());
    return MakeStmt(tag == "break" ? StmtKind::kBreak : StmtKind::kContinue,
                    line);
  }
  if (tag == "generation") {
    INFERD_RETURN_IF_ERROR(ExpectBlockEnd());
    auto s = MakeStmt(StmtKind::kScope, line);
    INFERD_ASSIGN_OR_RETURN(s->body, ParseBody({"endgeneration"}));
    INFERD_RETURN_IF_ERROR(ConsumeEndTag("endgeneration"));
    return s;
  }
  static const std::set<std::string> kEndTags = {
      "endif",  "endfor",        "endset", "endmacro",
      "endraw", "endgeneration", "elif",   "else"};
  if (kEndTags.count(tag) > 0) {
    return Error(line, StrCat("unexpected {% ", tag, " %}"));
  }
  return Error(line, StrCat("unsupported tag \"", tag, "\""));
}

absl::Status Parser::ConsumeEndTag(std::string_view name) {
  Next();  // {%
  Next();  // name
  return ExpectBlockEnd();
}

absl::StatusOr<StmtPtr> Parser::ParseIf(int line) {
  auto s = MakeStmt(StmtKind::kIf, line);
  INFERD_ASSIGN_OR_RETURN(ExprPtr cond, ParseTuple(true));
  INFERD_RETURN_IF_ERROR(ExpectBlockEnd());
  while (true) {
    INFERD_ASSIGN_OR_RETURN(Body body, ParseBody({"elif", "else", "endif"}));
    s->branches.emplace_back(std::move(cond), std::move(body));
    Next();  // {%
    std::string tag = Current().text;
    Next();
    if (tag == "elif") {
      INFERD_ASSIGN_OR_RETURN(cond, ParseTuple(true));
      INFERD_RETURN_IF_ERROR(ExpectBlockEnd());
      continue;
    }
    INFERD_RETURN_IF_ERROR(ExpectBlockEnd());
    if (tag == "else") {
      INFERD_ASSIGN_OR_RETURN(s->else_body, ParseBody({"endif"}));
      INFERD_RETURN_IF_ERROR(ConsumeEndTag("endif"));
    }
    return s;
  }
}

// `a`, `a, b` or `(a, b)`.
absl::StatusOr<std::vector<std::string>> Parser::ParseTargets() {
  std::vector<std::string> names;
  bool paren = IsOp("(");
  if (paren) Next();
  while (true) {
    INFERD_ASSIGN_OR_RETURN(std::string name, ExpectName());
    names.push_back(std::move(name));
    if (!IsOp(",")) break;
    Next();
  }
  if (paren) INFERD_RETURN_IF_ERROR(ExpectOp(")"));
  return names;
}

absl::StatusOr<StmtPtr> Parser::ParseFor(int line) {
  auto s = MakeStmt(StmtKind::kFor, line);
  INFERD_ASSIGN_OR_RETURN(s->targets, ParseTargets());
  if (!IsName("in")) {
    return Error(Current().line,
                 StrCat("expected \"in\", got ", Describe(Current())));
  }
  Next();
  INFERD_ASSIGN_OR_RETURN(s->expr, ParseTuple(false));
  if (IsName("if")) {
    Next();
    INFERD_ASSIGN_OR_RETURN(s->filter, ParseExpression(true));
  }
  if (IsName("recursive")) {
    return Error(Current().line, "unsupported recursive for loop");
  }
  INFERD_RETURN_IF_ERROR(ExpectBlockEnd());
  ++loop_depth_;
  INFERD_ASSIGN_OR_RETURN(s->body, ParseBody({"else", "endfor"}));
  --loop_depth_;
  Next();  // {%
  std::string tag = Current().text;
  Next();
  INFERD_RETURN_IF_ERROR(ExpectBlockEnd());
  if (tag == "else") {
    INFERD_ASSIGN_OR_RETURN(s->else_body, ParseBody({"endfor"}));
    INFERD_RETURN_IF_ERROR(ConsumeEndTag("endfor"));
  }
  return s;
}

absl::StatusOr<StmtPtr> Parser::ParseSet(int line) {
  auto s = MakeStmt(StmtKind::kSet, line);
  if (Current().kind == TokenKind::kName &&
      Peek(1).kind == TokenKind::kOperator && Peek(1).text == ".") {
    s->targets.push_back(Current().text);
    Next();
    Next();
    INFERD_ASSIGN_OR_RETURN(s->target_attr, ExpectName());
  } else {
    INFERD_ASSIGN_OR_RETURN(s->targets, ParseTargets());
  }
  if (IsOp("=")) {
    Next();
    INFERD_ASSIGN_OR_RETURN(s->expr, ParseTuple(true));
    INFERD_RETURN_IF_ERROR(ExpectBlockEnd());
    return s;
  }
  if (IsOp("|")) {
    return Error(Current().line, "unsupported filter on a {% set %} block");
  }
  INFERD_RETURN_IF_ERROR(ExpectBlockEnd());
  if (s->targets.size() != 1 || !s->target_attr.empty()) {
    return Error(line, "a {% set %} block assigns exactly one name");
  }
  INFERD_ASSIGN_OR_RETURN(s->body, ParseBody({"endset"}));
  INFERD_RETURN_IF_ERROR(ConsumeEndTag("endset"));
  return s;
}

absl::StatusOr<StmtPtr> Parser::ParseMacro(int line) {
  auto s = MakeStmt(StmtKind::kMacro, line);
  INFERD_ASSIGN_OR_RETURN(s->name, ExpectName());
  INFERD_RETURN_IF_ERROR(ExpectOp("("));
  while (!IsOp(")")) {
    MacroParam param;
    INFERD_ASSIGN_OR_RETURN(param.name, ExpectName());
    if (IsOp("=")) {
      Next();
      INFERD_ASSIGN_OR_RETURN(param.default_value, ParseExpression(true));
    }
    s->params.push_back(std::move(param));
    if (!IsOp(",")) break;
    Next();
  }
  INFERD_RETURN_IF_ERROR(ExpectOp(")"));
  INFERD_RETURN_IF_ERROR(ExpectBlockEnd());
  macros_.insert(s->name);
  int saved_depth = loop_depth_;
  loop_depth_ = 0;
  INFERD_ASSIGN_OR_RETURN(s->body, ParseBody({"endmacro"}));
  loop_depth_ = saved_depth;
  INFERD_RETURN_IF_ERROR(ConsumeEndTag("endmacro"));
  return s;
}

bool Parser::AtTupleEnd() const {
  return Current().kind == TokenKind::kVariableEnd ||
         Current().kind == TokenKind::kBlockEnd || IsOp(")") ||
         IsName("if") || Current().kind == TokenKind::kEnd;
}

}  // namespace internal

absl::StatusOr<Body> ParseTemplate(std::string_view source,
                                   const LexerOptions& options) {
  INFERD_ASSIGN_OR_RETURN(std::vector<Token> tokens, Tokenize(source, options));
  return internal::Parser(std::move(tokens)).Run();
}

}  // namespace inferd::jinja
