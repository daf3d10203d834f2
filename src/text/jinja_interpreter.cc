#include "text/jinja_interpreter.h"

#include <cmath>
#include <ctime>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "text/jinja_builtins.h"

namespace inferd::jinja {
namespace {

absl::Status Invalid(std::string_view message) {
  return absl::InvalidArgumentError(std::string(message));
}

// Variables visible at one point of a render; lookups walk to the parent.
struct Scope {
  Dict vars;
  Scope* parent = nullptr;

  const Value* Find(std::string_view name) const {
    for (const Scope* s = this; s != nullptr; s = s->parent) {
      const Value* v = s->vars.Find(name);
      if (v != nullptr) return v;
    }
    return nullptr;
  }
};

enum class Flow { kNormal, kBreak, kContinue };

class Renderer {
 public:
  Renderer(const Dict& context, const RenderEnv& env) : env_(env) {
    InstallGlobals();
    root_.parent = &globals_;
    for (const auto& [k, v] : context.entries()) root_.vars.Set(k, v);
  }

  absl::StatusOr<std::string> Run(const Body& body) {
    std::string out;
    out_ = &out;
    absl::StatusOr<Flow> flow = ExecBody(body, &root_);
    if (!flow.ok()) return flow.status();
    return out;
  }

 private:
  // Prefixes errors that do not yet name a line; raise_exception's message
  // stays as the template wrote it.
  absl::Status AtLine(int line, const absl::Status& status) const {
    if (raised_ || absl::StartsWith(status.message(), "chat template line ")) {
      return status;
    }
    return absl::Status(status.code(), StrCat("chat template line ", line, ": ",
                                              status.message()));
  }

  absl::Status Emit(std::string_view text) {
    if (out_->size() + text.size() > env_.max_output_bytes) {
      return Invalid(
          StrCat("output exceeds ", env_.max_output_bytes, " bytes"));
    }
    out_->append(text);
    return absl::OkStatus();
  }

  void InstallGlobals() {
    globals_.vars.Set(
        "raise_exception",
        Value::MakeFunction(
            "raise_exception",
            [this](const CallArgs& args) -> absl::StatusOr<Value> {
              const Value* msg = args.Get(0, "message");
              raised_ = true;
              return Invalid(msg != nullptr ? msg->Str() : "");
            }));
    globals_.vars.Set(
        "strftime_now",
        Value::MakeFunction(
            "strftime_now",
            [this](const CallArgs& args) -> absl::StatusOr<Value> {
              const Value* fmt = args.Get(0, "format");
              if (fmt == nullptr || !fmt->is_string()) {
                return Invalid("strftime_now() needs a format string");
              }
              return Value::String(StrfTime(fmt->as_string()));
            }));
    globals_.vars.Set(
        "namespace",
        Value::MakeFunction(
            "namespace", [](const CallArgs& args) -> absl::StatusOr<Value> {
              Dict attrs;
              for (const Value& p : args.positional) {
                if (!p.is_dict())
                  return Invalid(
                      "namespace() takes a dict or keyword arguments");
                for (const auto& [k, v] : p.as_dict().entries())
                  attrs.Set(k, v);
              }
              for (const auto& [k, v] : args.keyword) attrs.Set(k, v);
              return Value::MakeNamespace(std::move(attrs));
            }));
    globals_.vars.Set(
        "dict",
        Value::MakeFunction(
            "dict", [](const CallArgs& args) -> absl::StatusOr<Value> {
              Dict d;
              for (const Value& p : args.positional) {
                if (!p.is_dict())
                  return Invalid("dict() takes a dict or keyword arguments");
                for (const auto& [k, v] : p.as_dict().entries()) d.Set(k, v);
              }
              for (const auto& [k, v] : args.keyword) d.Set(k, v);
              return Value::MakeDict(std::move(d));
            }));
    globals_.vars.Set(
        "range",
        Value::MakeFunction(
            "range", [](const CallArgs& args) -> absl::StatusOr<Value> {
              std::vector<int64_t> n;
              for (const Value& p : args.positional) {
                if (!p.is_int()) return Invalid("range() takes integers");
                n.push_back(p.as_int());
              }
              if (n.empty() || n.size() > 3 || !args.keyword.empty()) {
                return Invalid("range() takes 1 to 3 integers");
              }
              int64_t start = n.size() == 1 ? 0 : n[0];
              int64_t stop = n.size() == 1 ? n[0] : n[1];
              int64_t step = n.size() == 3 ? n[2] : 1;
              if (step == 0) return Invalid("range() step must not be zero");
              List out;
              for (int64_t i = start; step > 0 ? i < stop : i > stop;
                   i += step) {
                if (out.size() >= 100000)
                  return Invalid("range() is too long (over 100000 items)");
                out.push_back(Value::Int(i));
              }
              return Value::MakeList(std::move(out));
            }));
  }

  std::string StrfTime(const std::string& format) const {
    absl::TimeZone::CivilInfo info = env_.time_zone.At(env_.now);
    std::tm tm{};
    tm.tm_year = static_cast<int>(info.cs.year() - 1900);
    tm.tm_mon = info.cs.month() - 1;
    tm.tm_mday = info.cs.day();
    tm.tm_hour = info.cs.hour();
    tm.tm_min = info.cs.minute();
    tm.tm_sec = info.cs.second();
    tm.tm_yday = absl::GetYearDay(absl::CivilDay(info.cs)) - 1;
    // absl::Weekday counts from Monday; tm_wday from Sunday.
    tm.tm_wday =
        (static_cast<int>(absl::GetWeekday(absl::CivilDay(info.cs))) + 1) % 7;
    tm.tm_isdst = info.is_dst ? 1 : 0;
    if (format.empty()) return "";
    std::string buf(format.size() * 8 + 64, '\0');
    size_t n = std::strftime(buf.data(), buf.size(), format.c_str(), &tm);
    buf.resize(n);
    return buf;
  }

  // ---- statements

  absl::StatusOr<Flow> ExecBody(const Body& body, Scope* scope) {
    for (const StmtPtr& stmt : body) {
      INFERD_ASSIGN_OR_RETURN(Flow flow, Exec(*stmt, scope));
      if (flow != Flow::kNormal) return flow;
    }
    return Flow::kNormal;
  }

  absl::StatusOr<Flow> Exec(const Stmt& s, Scope* scope) {
    switch (s.kind) {
      case StmtKind::kText:
        INFERD_RETURN_IF_ERROR(Emit(s.text));
        return Flow::kNormal;
      case StmtKind::kOutput: {
        INFERD_ASSIGN_OR_RETURN(Value v, Eval(*s.expr, scope));
        INFERD_RETURN_IF_ERROR(AtLine(s.line, Emit(v.Str())));
        return Flow::kNormal;
      }
      case StmtKind::kIf:
        for (const auto& [cond, body] : s.branches) {
          INFERD_ASSIGN_OR_RETURN(Value c, Eval(*cond, scope));
          if (c.Truthy()) return ExecBody(body, scope);
        }
        return ExecBody(s.else_body, scope);
      case StmtKind::kFor:
        return ExecFor(s, scope);
      case StmtKind::kSet:
        INFERD_RETURN_IF_ERROR(ExecSet(s, scope));
        return Flow::kNormal;
      case StmtKind::kMacro:
        scope->vars.Set(s.name, MakeMacro(s));
        return Flow::kNormal;
      case StmtKind::kBreak:
        return Flow::kBreak;
      case StmtKind::kContinue:
        return Flow::kContinue;
      case StmtKind::kScope:
        return ExecBody(s.body, scope);
    }
    return Flow::kNormal;
  }

  absl::Status Bind(const std::vector<std::string>& targets, const Value& value,
                    Scope* scope, int line) {
    if (targets.size() == 1) {
      scope->vars.Set(targets[0], value);
      return absl::OkStatus();
    }
    absl::StatusOr<List> items = Iterate(value);
    if (!items.ok()) return AtLine(line, items.status());
    if (items->size() != targets.size()) {
      return AtLine(
          line, Invalid(StrCat("cannot unpack ", items->size(), " values into ",
                               targets.size(), " names")));
    }
    for (size_t i = 0; i < targets.size(); ++i)
      scope->vars.Set(targets[i], (*items)[i]);
    return absl::OkStatus();
  }

  absl::StatusOr<Flow> ExecFor(const Stmt& s, Scope* scope) {
    INFERD_ASSIGN_OR_RETURN(Value iterable, Eval(*s.expr, scope));
    absl::StatusOr<List> all = Iterate(iterable);
    if (!all.ok()) return AtLine(s.line, all.status());
    List items;
    if (s.filter != nullptr) {
      for (const Value& item : *all) {
        Scope probe{Dict(), scope};
        INFERD_RETURN_IF_ERROR(Bind(s.targets, item, &probe, s.line));
        INFERD_ASSIGN_OR_RETURN(Value keep, Eval(*s.filter, &probe));
        if (keep.Truthy()) items.push_back(item);
      }
    } else {
      items = std::move(*all);
    }
    const int64_t n = static_cast<int64_t>(items.size());
    for (int64_t i = 0; i < n; ++i) {
      Scope iteration{Dict(), scope};
      INFERD_RETURN_IF_ERROR(Bind(s.targets, items[i], &iteration, s.line));
      Dict loop;
      loop.Set("index", Value::Int(i + 1));
      loop.Set("index0", Value::Int(i));
      loop.Set("revindex", Value::Int(n - i));
      loop.Set("revindex0", Value::Int(n - i - 1));
      loop.Set("first", Value::Bool(i == 0));
      loop.Set("last", Value::Bool(i == n - 1));
      loop.Set("length", Value::Int(n));
      loop.Set("depth", Value::Int(1));
      loop.Set("depth0", Value::Int(0));
      if (i > 0) loop.Set("previtem", items[i - 1]);
      if (i + 1 < n) loop.Set("nextitem", items[i + 1]);
      iteration.vars.Set("loop", Value::MakeDict(std::move(loop)));
      INFERD_ASSIGN_OR_RETURN(Flow flow, ExecBody(s.body, &iteration));
      if (flow == Flow::kBreak) break;
    }
    if (n == 0) {
      INFERD_ASSIGN_OR_RETURN(Flow flow, ExecBody(s.else_body, scope));
      (void)flow;
    }
    return Flow::kNormal;
  }

  absl::Status ExecSet(const Stmt& s, Scope* scope) {
    Value value;
    if (s.expr != nullptr) {
      INFERD_ASSIGN_OR_RETURN(value, Eval(*s.expr, scope));
    } else {
      std::string captured;
      std::string* saved = out_;
      out_ = &captured;
      absl::StatusOr<Flow> flow = ExecBody(s.body, scope);
      out_ = saved;
      if (!flow.ok()) return flow.status();
      value = Value::String(std::move(captured));
    }
    if (!s.target_attr.empty()) {
      const Value* target = scope->Find(s.targets[0]);
      if (target == nullptr || !target->is_namespace()) {
        return AtLine(s.line, Invalid(StrCat("cannot assign attribute on \"",
                                             s.targets[0],
                                             "\": it is not a namespace()")));
      }
      target->namespace_dict().Set(s.target_attr, std::move(value));
      return absl::OkStatus();
    }
    return Bind(s.targets, value, scope, s.line);
  }

  Value MakeMacro(const Stmt& s) {
    const Stmt* macro = &s;
    return Value::MakeFunction(
        s.name, [this, macro](const CallArgs& args) -> absl::StatusOr<Value> {
          return CallMacro(*macro, args);
        });
  }

  absl::StatusOr<Value> CallMacro(const Stmt& macro, const CallArgs& args) {
    if (macro_depth_ >= env_.max_macro_depth) {
      return Invalid(StrCat("macro \"", macro.name, "\" nested deeper than ",
                            env_.max_macro_depth, " calls"));
    }
    if (args.positional.size() > macro.params.size()) {
      return Invalid(StrCat("macro \"", macro.name, "\" takes ",
                            macro.params.size(), " arguments, got ",
                            args.positional.size()));
    }
    Scope frame{Dict(), &root_};
    for (const auto& [k, v] : args.keyword) {
      bool known = false;
      for (const MacroParam& p : macro.params) known = known || p.name == k;
      if (!known) {
        return Invalid(
            StrCat("macro \"", macro.name, "\" has no argument \"", k, "\""));
      }
    }
    for (size_t i = 0; i < macro.params.size(); ++i) {
      const MacroParam& p = macro.params[i];
      const Value* given = args.Get(i, p.name);
      if (given != nullptr) {
        frame.vars.Set(p.name, *given);
      } else if (p.default_value != nullptr) {
        INFERD_ASSIGN_OR_RETURN(Value d, Eval(*p.default_value, &frame));
        frame.vars.Set(p.name, std::move(d));
      } else {
        frame.vars.Set(p.name, Value::MakeUndefined(
                                   StrCat("'", p.name, "' is undefined")));
      }
    }
    std::string captured;
    std::string* saved = out_;
    out_ = &captured;
    ++macro_depth_;
    absl::StatusOr<Flow> flow = ExecBody(macro.body, &frame);
    --macro_depth_;
    out_ = saved;
    if (!flow.ok()) return flow.status();
    return Value::String(std::move(captured));
  }

  // ---- expressions

  absl::StatusOr<Value> Eval(const Expr& e, Scope* scope) {
    absl::StatusOr<Value> v = EvalInner(e, scope);
    if (!v.ok()) return AtLine(e.line, v.status());
    return v;
  }

  absl::StatusOr<CallArgs> EvalArgs(const Expr& e, size_t first, Scope* scope) {
    CallArgs args;
    for (size_t i = first; i < e.args.size(); ++i) {
      INFERD_ASSIGN_OR_RETURN(Value v, Eval(*e.args[i], scope));
      args.positional.push_back(std::move(v));
    }
    for (const auto& [k, x] : e.kwargs) {
      INFERD_ASSIGN_OR_RETURN(Value v, Eval(*x, scope));
      args.keyword.emplace_back(k, std::move(v));
    }
    return args;
  }

  absl::StatusOr<Value> EvalInner(const Expr& e, Scope* scope) {
    switch (e.kind) {
      case ExprKind::kLiteral:
        return e.literal;
      case ExprKind::kName: {
        const Value* v = scope->Find(e.name);
        if (v != nullptr) return *v;
        return Value::MakeUndefined(StrCat("'", e.name, "' is undefined"));
      }
      case ExprKind::kList: {
        List items;
        for (const ExprPtr& item : e.args) {
          INFERD_ASSIGN_OR_RETURN(Value v, Eval(*item, scope));
          items.push_back(std::move(v));
        }
        if (e.negate) return Value::MakeTuple(std::move(items));
        return Value::MakeList(std::move(items));
      }
      case ExprKind::kDict: {
        Dict dict;
        for (size_t i = 0; i + 1 < e.args.size(); i += 2) {
          INFERD_ASSIGN_OR_RETURN(Value k, Eval(*e.args[i], scope));
          INFERD_ASSIGN_OR_RETURN(Value v, Eval(*e.args[i + 1], scope));
          if (!k.is_string()) {
            return Invalid(StrCat("unsupported dict key of type ", k.TypeName(),
                                  " (only strings)"));
          }
          dict.Set(k.as_string(), std::move(v));
        }
        return Value::MakeDict(std::move(dict));
      }
      case ExprKind::kUnary: {
        INFERD_ASSIGN_OR_RETURN(Value v, Eval(*e.args[0], scope));
        if (e.name == "not") return Value::Bool(!v.Truthy());
        if (v.is_undefined()) return Invalid(v.undefined_hint());
        if (!v.is_number()) {
          return Invalid(StrCat("bad operand type for unary ", e.name, ": '",
                                v.TypeName(), "'"));
        }
        if (e.name == "+") return v.is_bool() ? Value::Int(v.as_bool()) : v;
        if (v.is_float()) return Value::Float(-v.as_float());
        return Value::Int(
            -(v.is_bool() ? static_cast<int64_t>(v.as_bool()) : v.as_int()));
      }
      case ExprKind::kBinary:
        return EvalBinary(e, scope);
      case ExprKind::kCondition: {
        INFERD_ASSIGN_OR_RETURN(Value c, Eval(*e.args[1], scope));
        if (c.Truthy()) return Eval(*e.args[0], scope);
        if (e.args[2] != nullptr) return Eval(*e.args[2], scope);
        return Value::MakeUndefined(
            "the conditional expression had no else branch");
      }
      case ExprKind::kGetAttr: {
        INFERD_ASSIGN_OR_RETURN(Value obj, Eval(*e.args[0], scope));
        return GetAttribute(obj, e.name);
      }
      case ExprKind::kGetItem: {
        INFERD_ASSIGN_OR_RETURN(Value obj, Eval(*e.args[0], scope));
        INFERD_ASSIGN_OR_RETURN(Value key, Eval(*e.args[1], scope));
        return GetItem(obj, key);
      }
      case ExprKind::kSlice: {
        INFERD_ASSIGN_OR_RETURN(Value obj, Eval(*e.args[0], scope));
        Value parts[3];
        const Value* ptrs[3] = {nullptr, nullptr, nullptr};
        for (int i = 0; i < 3; ++i) {
          if (e.args[i + 1] == nullptr) continue;
          INFERD_ASSIGN_OR_RETURN(parts[i], Eval(*e.args[i + 1], scope));
          ptrs[i] = &parts[i];
        }
        return GetSlice(obj, ptrs[0], ptrs[1], ptrs[2]);
      }
      case ExprKind::kCall: {
        INFERD_ASSIGN_OR_RETURN(Value callee, Eval(*e.args[0], scope));
        if (callee.is_undefined()) return Invalid(callee.undefined_hint());
        if (!callee.is_function()) {
          return Invalid(
              StrCat("'", callee.TypeName(), "' object is not callable"));
        }
        INFERD_ASSIGN_OR_RETURN(CallArgs args, EvalArgs(e, 1, scope));
        return callee.function()(args);
      }
      case ExprKind::kFilter: {
        INFERD_ASSIGN_OR_RETURN(Value input, Eval(*e.args[0], scope));
        INFERD_ASSIGN_OR_RETURN(CallArgs args, EvalArgs(e, 1, scope));
        return ApplyFilter(e.name, input, args);
      }
      case ExprKind::kTest: {
        INFERD_ASSIGN_OR_RETURN(Value input, Eval(*e.args[0], scope));
        INFERD_ASSIGN_OR_RETURN(CallArgs args, EvalArgs(e, 1, scope));
        INFERD_ASSIGN_OR_RETURN(bool result, ApplyTest(e.name, input, args));
        return Value::Bool(result != e.negate);
      }
    }
    return Invalid("unknown expression");
  }

  static absl::Status OperandError(const std::string& op, const Value& a,
                                   const Value& b) {
    if (a.is_undefined()) return Invalid(a.undefined_hint());
    if (b.is_undefined()) return Invalid(b.undefined_hint());
    if (op == "+" && a.is_string()) {
      return Invalid(StrCat("can only concatenate str (not \"", b.TypeName(),
                            "\") to str"));
    }
    if (op == "+" && a.is_list()) {
      return Invalid(StrCat("can only concatenate list (not \"", b.TypeName(),
                            "\") to list"));
    }
    return Invalid(StrCat("unsupported operand type(s) for ", op, ": '",
                          a.TypeName(), "' and '", b.TypeName(), "'"));
  }

  static int64_t AsInt(const Value& v) {
    return v.is_bool() ? static_cast<int64_t>(v.as_bool()) : v.as_int();
  }

  absl::StatusOr<Value> Repeat(const Value& seq, const Value& times) {
    int64_t n = std::max<int64_t>(0, AsInt(times));
    if (seq.is_string()) {
      if (seq.as_string().size() * static_cast<uint64_t>(n) >
          env_.max_output_bytes) {
        return Invalid("string repetition is too long");
      }
      std::string out;
      for (int64_t i = 0; i < n; ++i) out += seq.as_string();
      return Value::String(std::move(out));
    }
    if (seq.as_list().size() * static_cast<uint64_t>(n) > 1000000) {
      return Invalid("list repetition is too long");
    }
    List out;
    for (int64_t i = 0; i < n; ++i) {
      out.insert(out.end(), seq.as_list().begin(), seq.as_list().end());
    }
    return Value::MakeList(std::move(out));
  }

  absl::StatusOr<Value> EvalBinary(const Expr& e, Scope* scope) {
    const std::string& op = e.name;
    INFERD_ASSIGN_OR_RETURN(Value a, Eval(*e.args[0], scope));
    if (op == "and") return a.Truthy() ? Eval(*e.args[1], scope) : a;
    if (op == "or") return a.Truthy() ? a : Eval(*e.args[1], scope);
    INFERD_ASSIGN_OR_RETURN(Value b, Eval(*e.args[1], scope));
    if (op == "==") return Value::Bool(a.Equals(b));
    if (op == "!=") return Value::Bool(!a.Equals(b));
    if (op == "~") return Value::String(a.Str() + b.Str());
    if (op == "in" || op == "not in") {
      if (b.is_string() && !a.is_string()) {
        if (a.is_undefined()) return Invalid(a.undefined_hint());
        return Invalid(
            StrCat("'in <string>' requires string as left operand, not ",
                   a.TypeName()));
      }
      if (!b.is_string() && !b.is_list() && !b.is_dict() && !b.is_undefined()) {
        return Invalid(
            StrCat("argument of type '", b.TypeName(), "' is not iterable"));
      }
      CallArgs args;
      args.positional.push_back(b);
      INFERD_ASSIGN_OR_RETURN(bool in, ApplyTest("in", a, args));
      return Value::Bool(op == "in" ? in : !in);
    }
    if (op == "<" || op == "<=" || op == ">" || op == ">=") {
      INFERD_ASSIGN_OR_RETURN(int c, Compare(a, b));
      if (op == "<") return Value::Bool(c < 0);
      if (op == "<=") return Value::Bool(c <= 0);
      if (op == ">") return Value::Bool(c > 0);
      return Value::Bool(c >= 0);
    }
    if (op == "+") {
      if (a.is_string() && b.is_string())
        return Value::String(a.as_string() + b.as_string());
      if (a.is_list() && b.is_list()) {
        List out = a.as_list();
        out.insert(out.end(), b.as_list().begin(), b.as_list().end());
        return Value::MakeList(std::move(out));
      }
    }
    if (op == "*") {
      if ((a.is_string() || a.is_list()) && (b.is_int() || b.is_bool()))
        return Repeat(a, b);
      if ((b.is_string() || b.is_list()) && (a.is_int() || a.is_bool()))
        return Repeat(b, a);
    }
    if (!a.is_number() || !b.is_number()) return OperandError(op, a, b);
    bool floats = a.is_float() || b.is_float();
    if (op == "/") {
      if (b.as_double() == 0) return Invalid("division by zero");
      return Value::Float(a.as_double() / b.as_double());
    }
    if (op == "**") {
      if (!floats && AsInt(b) >= 0) {
        double r = std::pow(static_cast<double>(AsInt(a)),
                            static_cast<double>(AsInt(b)));
        if (std::fabs(r) < 9.2e18) {
          int64_t out = 1;
          for (int64_t i = 0; i < AsInt(b); ++i) out *= AsInt(a);
          return Value::Int(out);
        }
        return Invalid("integer power is too large");
      }
      return Value::Float(std::pow(a.as_double(), b.as_double()));
    }
    if (floats) {
      double x = a.as_double();
      double y = b.as_double();
      if (op == "+") return Value::Float(x + y);
      if (op == "-") return Value::Float(x - y);
      if (op == "*") return Value::Float(x * y);
      if (y == 0) return Invalid("float division by zero");
      if (op == "//") return Value::Float(std::floor(x / y));
      if (op == "%") {
        double m = std::fmod(x, y);
        if (m != 0 && ((m < 0) != (y < 0))) m += y;
        return Value::Float(m);
      }
    } else {
      int64_t x = AsInt(a);
      int64_t y = AsInt(b);
      if (op == "+") return Value::Int(x + y);
      if (op == "-") return Value::Int(x - y);
      if (op == "*") return Value::Int(x * y);
      if (y == 0) return Invalid("integer division or modulo by zero");
      int64_t q = x / y;
      int64_t r = x % y;
      if (r != 0 && ((r < 0) != (y < 0))) {
        --q;
        r += y;
      }
      if (op == "//") return Value::Int(q);
      if (op == "%") return Value::Int(r);
    }
    return OperandError(op, a, b);
  }

  const RenderEnv& env_;
  Scope globals_;
  Scope root_;
  std::string* out_ = nullptr;
  bool raised_ = false;
  int macro_depth_ = 0;
};

}  // namespace

absl::StatusOr<std::string> RenderTemplate(const Body& body,
                                           const Dict& context,
                                           const RenderEnv& env) {
  Renderer renderer(context, env);
  return renderer.Run(body);
}

}  // namespace inferd::jinja
