#include "text/jinja_parser.h"

#include <set>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "text/jinja_builtins.h"

namespace inferd::jinja {
namespace {

constexpr std::string_view kGlobals[] = {"raise_exception", "strftime_now",
                                         "namespace", "range", "dict"};

bool IsGlobal(std::string_view name) {
  for (std::string_view g : kGlobals) {
    if (g == name) return true;
  }
  return false;
}

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : tokens_(std::move(tokens)) {}

  absl::StatusOr<Body> Run() {
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

 private:
  static absl::Status Error(int line, std::string_view message) {
    return absl::InvalidArgumentError(
        StrCat("chat template line ", line, ": ", message));
  }

  const Token& Current() const { return tokens_[pos_]; }
  const Token& Peek(size_t ahead) const {
    return tokens_[std::min(pos_ + ahead, tokens_.size() - 1)];
  }
  void Next() {
    if (pos_ + 1 < tokens_.size()) ++pos_;
  }
  bool IsOp(std::string_view op) const {
    return Current().kind == TokenKind::kOperator && Current().text == op;
  }
  bool IsName(std::string_view name) const {
    return Current().kind == TokenKind::kName && Current().text == name;
  }
  absl::Status ExpectOp(std::string_view op) {
    if (!IsOp(op)) {
      return Error(Current().line,
                   StrCat("expected \"", op, "\", got ", Describe(Current())));
    }
    Next();
    return absl::OkStatus();
  }
  absl::Status ExpectBlockEnd() {
    if (Current().kind != TokenKind::kBlockEnd) {
      return Error(Current().line,
                   StrCat("expected \"%}\", got ", Describe(Current())));
    }
    Next();
    return absl::OkStatus();
  }
  absl::StatusOr<std::string> ExpectName() {
    if (Current().kind != TokenKind::kName) {
      return Error(Current().line,
                   StrCat("expected a name, got ", Describe(Current())));
    }
    std::string name = Current().text;
    Next();
    return name;
  }
  static std::string Describe(const Token& t) {
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

  static ExprPtr Make(ExprKind kind, int line) {
    auto e = std::make_unique<Expr>();
    e->kind = kind;
    e->line = line;
    return e;
  }
  static StmtPtr MakeStmt(StmtKind kind, int line) {
    auto s = std::make_unique<Stmt>();
    s->kind = kind;
    s->line = line;
    return s;
  }

  // Statements until a block tag named in `stop` (left unconsumed: the
  // caller reads it) or the end of the template.
  absl::StatusOr<Body> ParseBody(const std::set<std::string>& stop) {
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
  absl::StatusOr<StmtPtr> ParseStatement() {
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

  absl::Status ConsumeEndTag(std::string_view name) {
    Next();  // {%
    Next();  // name
    return ExpectBlockEnd();
  }

  absl::StatusOr<StmtPtr> ParseIf(int line) {
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
  absl::StatusOr<std::vector<std::string>> ParseTargets() {
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

  absl::StatusOr<StmtPtr> ParseFor(int line) {
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

  absl::StatusOr<StmtPtr> ParseSet(int line) {
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

  absl::StatusOr<StmtPtr> ParseMacro(int line) {
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

  bool AtTupleEnd() const {
    return Current().kind == TokenKind::kVariableEnd ||
           Current().kind == TokenKind::kBlockEnd || IsOp(")") ||
           IsName("if") || Current().kind == TokenKind::kEnd;
  }

  // An expression, or a comma-separated tuple of them (a list value).
  absl::StatusOr<ExprPtr> ParseTuple(bool with_condexpr) {
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

  absl::StatusOr<ExprPtr> ParseExpression(bool with_condexpr) {
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

  static ExprPtr Binary(std::string op, ExprPtr left, ExprPtr right, int line) {
    auto e = Make(ExprKind::kBinary, line);
    e->name = std::move(op);
    e->args.push_back(std::move(left));
    e->args.push_back(std::move(right));
    return e;
  }

  absl::StatusOr<ExprPtr> ParseOr() {
    INFERD_ASSIGN_OR_RETURN(ExprPtr left, ParseAnd());
    while (IsName("or")) {
      int line = Current().line;
      Next();
      INFERD_ASSIGN_OR_RETURN(ExprPtr right, ParseAnd());
      left = Binary("or", std::move(left), std::move(right), line);
    }
    return left;
  }

  absl::StatusOr<ExprPtr> ParseAnd() {
    INFERD_ASSIGN_OR_RETURN(ExprPtr left, ParseNot());
    while (IsName("and")) {
      int line = Current().line;
      Next();
      INFERD_ASSIGN_OR_RETURN(ExprPtr right, ParseNot());
      left = Binary("and", std::move(left), std::move(right), line);
    }
    return left;
  }

  absl::StatusOr<ExprPtr> ParseNot() {
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

  absl::StatusOr<ExprPtr> ParseCompare() {
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

  absl::StatusOr<ExprPtr> ParseMath1() {
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

  absl::StatusOr<ExprPtr> ParseConcat() {
    INFERD_ASSIGN_OR_RETURN(ExprPtr left, ParseMath2());
    while (IsOp("~")) {
      int line = Current().line;
      Next();
      INFERD_ASSIGN_OR_RETURN(ExprPtr right, ParseMath2());
      left = Binary("~", std::move(left), std::move(right), line);
    }
    return left;
  }

  absl::StatusOr<ExprPtr> ParseMath2() {
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

  absl::StatusOr<ExprPtr> ParsePow() {
    INFERD_ASSIGN_OR_RETURN(ExprPtr left, ParseUnary(true));
    while (IsOp("**")) {
      int line = Current().line;
      Next();
      INFERD_ASSIGN_OR_RETURN(ExprPtr right, ParseUnary(true));
      left = Binary("**", std::move(left), std::move(right), line);
    }
    return left;
  }

  absl::StatusOr<ExprPtr> ParseUnary(bool with_filter) {
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

  static ExprPtr Literal(Value v, int line) {
    auto e = Make(ExprKind::kLiteral, line);
    e->literal = std::move(v);
    return e;
  }

  absl::StatusOr<ExprPtr> ParsePrimary() {
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

  absl::StatusOr<ExprPtr> ParsePostfix(ExprPtr node) {
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
  absl::StatusOr<ExprPtr> ParseSubscript(ExprPtr node, int line) {
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
  absl::Status ParseCallArgs(Expr* e) {
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

  absl::StatusOr<ExprPtr> ParseCall(ExprPtr callee) {
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
  absl::Status CheckNamedArguments(const Expr& filter) {
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

  absl::StatusOr<ExprPtr> ParseFilterExpr(ExprPtr node) {
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

  std::vector<Token> tokens_;
  size_t pos_ = 0;
  int loop_depth_ = 0;
  std::set<std::string> macros_;
  std::vector<std::pair<std::string, int>> called_names_;
};

}  // namespace

absl::StatusOr<Body> ParseTemplate(std::string_view source,
                                   const LexerOptions& options) {
  INFERD_ASSIGN_OR_RETURN(std::vector<Token> tokens, Tokenize(source, options));
  return Parser(std::move(tokens)).Run();
}

}  // namespace inferd::jinja
