#include "text/chat_template.h"

#include <string>
#include <thread>
#include <vector>

#include "absl/time/civil_time.h"
#include "boost/json/parse.hpp"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace inferd {
namespace {

using ::testing::HasSubstr;

class FixedClock : public Clock {
 public:
  absl::Time Now() const override {
    return absl::FromCivil(absl::CivilSecond(2025, 3, 9, 8, 5, 0),
                           absl::UTCTimeZone());
  }
  bool AwaitWithDeadline(absl::Mutex*, const absl::Condition&,
                         absl::Time) override {
    return false;
  }
};

// Renders `source` with the JSON object `context`.
absl::StatusOr<std::string> Render(std::string_view source,
                                   std::string_view context = "{}") {
  static FixedClock clock;
  ChatTemplate::Options options;
  options.clock = &clock;
  options.time_zone = absl::UTCTimeZone();
  absl::StatusOr<ChatTemplate> tmpl = ChatTemplate::Parse(source, options);
  if (!tmpl.ok()) return tmpl.status();
  return tmpl->Render(boost::json::parse(context).as_object());
}

std::string R(std::string_view source, std::string_view context = "{}") {
  absl::StatusOr<std::string> out = Render(source, context);
  EXPECT_TRUE(out.ok()) << out.status();
  return out.ok() ? *out
                  : "<error: " + std::string(out.status().message()) + ">";
}

std::string ParseError(std::string_view source) {
  absl::StatusOr<ChatTemplate> tmpl = ChatTemplate::Parse(source);
  EXPECT_FALSE(tmpl.ok());
  return tmpl.ok() ? "" : std::string(tmpl.status().message());
}

std::string RenderError(std::string_view source,
                        std::string_view context = "{}") {
  absl::StatusOr<std::string> out = Render(source, context);
  EXPECT_FALSE(out.ok()) << "rendered: " << *out;
  if (out.ok()) return "";
  EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(out.status().message());
}

TEST(ChatTemplateTest, IfElifElse) {
  const char* t =
      "{% if x == 1 %}one{% elif x == 2 %}two{% else %}many{% endif %}";
  EXPECT_EQ(R(t, R"({"x": 1})"), "one");
  EXPECT_EQ(R(t, R"({"x": 2})"), "two");
  EXPECT_EQ(R(t, R"({"x": 3})"), "many");
}

TEST(ChatTemplateTest, ForLoopVariables) {
  EXPECT_EQ(
      R("{% for x in xs %}{{ loop.index }}{{ loop.index0 }}{{ loop.first }}"
        "{{ loop.last }}{{ loop.length }}{{ loop.revindex }}|{% endfor %}",
        R"({"xs": ["a", "b"]})"),
      "10TrueFalse22|21FalseTrue21|");
}

TEST(ChatTemplateTest, ForElseAndFilterAndUnpacking) {
  EXPECT_EQ(R("{% for x in [] %}x{% else %}empty{% endfor %}"), "empty");
  EXPECT_EQ(R("{% for x in xs if x > 1 %}{{ x }}{{ loop.index }}{{ loop.length "
              "}},{% endfor %}",
              R"({"xs": [1, 2, 3]})"),
            "212,322,");
  EXPECT_EQ(R("{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}"
              "{% for k, v in d|items %}{{ k }}{% endfor %}",
              R"({"d": {"b": 1, "a": 2}})"),
            "b=1;a=2;ba");
}

TEST(ChatTemplateTest, BreakAndContinue) {
  EXPECT_EQ(R("{% for i in range(10) %}{% if i == 1 %}{% continue %}{% endif %}"
              "{% if i == 4 %}{% break %}{% endif %}{{ i }}{% endfor %}"),
            "023");
}

TEST(ChatTemplateTest, LoopScopeResetsEachIterationButNamespacePersists) {
  EXPECT_EQ(R("{% set x = 5 %}{% for i in [1, 2] %}[{{ x }}]{% set x = i %}{% "
              "endfor %}{{ x }}"),
            "[5][5]5");
  EXPECT_EQ(
      R("{% set ns = namespace(n=0, found=false) %}{% for i in [1, 2, 3] %}"
        "{% set ns.n = ns.n + i %}{% endfor %}{{ ns.n }} {{ ns.found }}"),
      "6 False");
}

TEST(ChatTemplateTest, SetInIfLeaksAndBlockSet) {
  EXPECT_EQ(R("{% if true %}{% set x = 'a' %}{% endif %}{{ x }}"), "a");
  EXPECT_EQ(R("{% set a, b = 1, 2 %}{{ a + b }}"), "3");
  EXPECT_EQ(R("{% set block %}hi {{ 1 + 1 }}{% endset %}[{{ block }}]"),
            "[hi 2]");
}

TEST(ChatTemplateTest, MacrosWithDefaultsAndKeywords) {
  EXPECT_EQ(R("{% macro m(a, b='d') %}<{{ a }}{{ b }}{{ g }}>{% endmacro %}"
              "{% set g = 1 %}{{ m(1) }}{{ m(2, b=3) }}"),
            "<1d1><231>");
  EXPECT_THAT(RenderError("{% macro m(a) %}{% endmacro %}{{ m(1, 2) }}"),
              HasSubstr("takes 1 arguments"));
}

TEST(ChatTemplateTest, RawAndComments) {
  EXPECT_EQ(R("{% raw %}{{ not rendered }}{% endraw %}{# a comment #}x"),
            "{{ not rendered }}x");
}

TEST(ChatTemplateTest, WhitespaceControlWithHuggingFaceDefaults) {
  // trim_blocks drops the newline after a block tag; lstrip_blocks the
  // indentation before one; `-` strips all whitespace on its side.
  EXPECT_EQ(R("  {% if true %}\n  x\n  {% endif %}\n"), "  x\n");
  EXPECT_EQ(R("a  {{- 'b' -}}  \n c"), "abc");
  EXPECT_EQ(R("{{ 'a' }}\n{{ 'b' }}\n"), "a\nb");
  EXPECT_EQ(R("  {%+ if true %}x{% endif +%}\ny"), "  x\ny");
  EXPECT_EQ(R("a\r\nb\n"), "a\nb");
}

TEST(ChatTemplateTest, WhitespaceWithoutTrimAndLstrip) {
  ChatTemplate::Options options;
  options.trim_blocks = false;
  options.lstrip_blocks = false;
  auto tmpl =
      ChatTemplate::Parse("  {% if true %}\n  x\n  {% endif %}\n", options);
  ASSERT_TRUE(tmpl.ok());
  EXPECT_EQ(*tmpl->Render({}), "  \n  x\n  ");
}

TEST(ChatTemplateTest, Literals) {
  EXPECT_EQ(
      R(R"({{ 'a\'b' }} {{ "tab\there" }} {{ '\u00e9\x41' }} {{ 'x' 'y' }})"),
      "a'b tab\there éA xy");
  EXPECT_EQ(
      R("{{ [1, 'a', none, True, 1.5, {'k': 'v'}] }} {{ (1, 2) }} {{ 1_000 }}"),
      "[1, 'a', None, True, 1.5, {'k': 'v'}] (1, 2) 1000");
}

TEST(ChatTemplateTest, TuplesPrintAndCompareLikePython) {
  EXPECT_EQ(R("{{ (1, 2) == [1, 2] }}{{ (1,) }}{{ () }}{{ d|items|list }}{{ "
              "d|dictsort }}",
              R"({"d": {"b": 1, "a": 2}})"),
            "False(1,)()[('b', 1), ('a', 2)][('a', 2), ('b', 1)]");
}

TEST(ChatTemplateTest, Arithmetic) {
  EXPECT_EQ(
      R("{{ 1 + 2 * 3 }} {{ 7 // 2 }} {{ -7 % 3 }} {{ 3 / 2 }} {{ 2 ** 10 }} "
        "{{ 'ab' * 2 }} {{ [1] + [2] }} {{ 1 ~ 'x' ~ none }} {{ -(1.5) }}"),
      "7 3 2 1.5 1024 abab [1, 2] 1xNone -1.5");
  EXPECT_THAT(RenderError("{{ 'a' + 1 }}"),
              HasSubstr("can only concatenate str (not \"int\") to str"));
}

TEST(ChatTemplateTest, ComparisonsAndLogic) {
  EXPECT_EQ(
      R("{{ 1 < 2 }} {{ 'b' >= 'a' }} {{ 1 == 1.0 }} {{ 'a' in 'cat' }} "
        "{{ 2 not in [1] }} {{ 'k' in d }} {{ none or 'x' }} {{ 0 and 1 }} "
        "{{ not [] }}",
        R"({"d": {"k": 1}})"),
      "True True True True True True x 0 True");
  EXPECT_EQ(R("{{ 'yes' if x else 'no' }}{{ 'only' if false }}", R"({"x": 1})"),
            "yes");
}

TEST(ChatTemplateTest, AttributesSubscriptsAndSlices) {
  const char* ctx =
      R"({"m": {"role": "user", "items": 3}, "xs": [1, 2, 3, 4], "s": "héllo"})";
  EXPECT_EQ(
      R("{{ m.role }} {{ m['role'] }} {{ xs[-1] }} {{ xs[1:] }} {{ xs[::-1] }} "
        "{{ xs[:2] }} {{ s[1] }} {{ s[::-1] }} {{ s[-3:] }} {{ xs.0 }}",
        ctx),
      "user user 4 [2, 3, 4] [4, 3, 2, 1] [1, 2] é olléh llo 1");
  // A missing key or index is undefined, and undefined prints as "".
  EXPECT_EQ(R("[{{ m.missing }}][{{ xs[10] }}][{{ none.x }}]", ctx), "[][][]");
}

TEST(ChatTemplateTest, UndefinedBehavesLikeJinja) {
  EXPECT_EQ(R("[{{ x }}]{{ x is defined }}{{ x is undefined }}{{ x|length }}"
              "{% for i in x %}no{% endfor %}{{ x|default('d') }}{{ not x }}"),
            "[]FalseTrue0dTrue");
  EXPECT_THAT(RenderError("{{ x.y }}"), HasSubstr("'x' is undefined"));
  EXPECT_THAT(RenderError("{{ m.a.b }}", R"({"m": {}})"),
              HasSubstr("'dict object' has no attribute 'a'"));
  EXPECT_THAT(RenderError("{{ x + 1 }}"), HasSubstr("'x' is undefined"));
}

TEST(ChatTemplateTest, StringMethods) {
  EXPECT_EQ(R("{{ '  a b  '.strip() }}|{{ 'xxaxx'.strip('x') }}|{{ "
              "'\\n\\nb'.lstrip('\\n') }}|"
              "{{ 'a\\n'.rstrip() }}|{{ 'abc'.startswith('ab') }}{{ "
              "'abc'.endswith(('x', 'c')) }}|"
              "{{ 'a</think>b'.split('</think>')[-1] }}|{{ ' a  b '.split() }}|"
              "{{ 'a,b,c'.split(',', 1) }}|{{ 'aXbX'.replace('X', '-') }}|{{ "
              "'ab'.upper() }}|"
              "{{ 'AB'.lower() }}|{{ 'hello world'.title() }}|{{ "
              "'hELLO'.capitalize() }}|"
              "{{ '{} and {name}'.format(1, name='x') }}|{{ 'abc'.find('c') }}|"
              "{{ '-'.join(['a', 'b']) }}"),
            "a b|a|b|a|TrueTrue|b|['a', 'b']|['a', 'b,c']|a-b-|AB|ab|Hello "
            "World|Hello|"
            "1 and x|2|a-b");
}

TEST(ChatTemplateTest, DictMethods) {
  const char* ctx = R"({"d": {"a": 1, "b": 2}})";
  EXPECT_EQ(R("{{ d.get('a') }} {{ d.get('z', 0) }} {{ d.get('z') }} {{ "
              "d.keys()|list }} "
              "{{ d.values()|list }} {{ d.items()|list }}",
              ctx),
            "1 0 None ['a', 'b'] [1, 2] [('a', 1), ('b', 2)]");
}

TEST(ChatTemplateTest, Filters) {
  const char* ctx =
      R"({"ms": [{"role": "user", "c": "a"}, {"role": "bot", "c": "b"},
                               {"role": "user", "c": "c", "t": 1}]})";
  EXPECT_EQ(
      R("{{ '  x '|trim }}|{{ [1, 2]|length }}|{{ 'abc'|count }}|{{ 'aB'|upper "
        "}}"
        "{{ 'aB'|lower }}|{{ 'hello-big world'|title }}|{{ 'aBC'|capitalize }}|"
        "{{ none|default('d') }}|{{ ''|default('d', true) }}|{{ ''|d('e', "
        "boolean=true) }}|"
        "{{ [1, 2]|join(', ') }}|{{ [1, 2]|first }}{{ [1, 2]|last }}|{{ "
        "'ab'|list }}|"
        "{{ 3|string }}|{{ '42'|int + 1 }}|{{ 'x'|int }}|{{ 3.9|int }}|{{ "
        "3|float }}|"
        "{{ 'aaa'|replace('a', 'b', 2) }}|{{ -3|abs }}|{{ 2.5|round }}|"
        "{{ 3.14159|round(2) }}|{{ 'x'|safe }}|{{ ['A', 'a', 'b']|unique|list "
        "}}|"
        "{{ [3, 1, 2]|sort }}|{{ [1, 2]|reverse|list }}|{{ [1, 2]|sum }}|"
        "{{ [3, 5]|max }}{{ [3, 5]|min }}"),
      "x|2|3|ABab|Hello-Big World|Abc|None|d|e|1, 2|12|['a', "
      "'b']|3|43|0|3|3.0|bba|3|2.0|"
      "3.14|x|['A', 'b']|[1, 2, 3]|[2, 1]|3|53");
  EXPECT_EQ(
      R("{{ ms|selectattr('role', 'equalto', 'user')|map(attribute='c')|join "
        "}}|"
        "{{ ms|rejectattr('role', 'eq', 'user')|map(attribute='c')|list }}|"
        "{{ ms|selectattr('t', 'defined')|list|length }}|"
        "{{ ms|selectattr('t')|list|length }}|"
        "{{ ['a', 'b', 'a']|reject('equalto', 'a')|list }}|"
        "{{ ['a', 'B']|map('upper')|join }}",
        ctx),
      "ac|['b']|1|1|['b']|AB");
  EXPECT_EQ(
      R("{{ 'a\\nb\\n\\nc'|indent(2) }}|{{ 'a\\nb'|indent(first=true) }}"),
      "a\n  b\n\n  c|    a\n    b");
}

TEST(ChatTemplateTest, ToJsonMatchesHuggingFace) {
  const char* ctx =
      R"({"t": {"name": "f", "desc": "<b>é</b>", "p": [1, 2.0, true, null]}})";
  EXPECT_EQ(R("{{ t|tojson }}", ctx),
            R"({"name": "f", "desc": "<b>é</b>", "p": [1, 2.0, true, null]})");
  EXPECT_EQ(R("{{ [1, {'a': 'b'}]|tojson(indent=2) }}"),
            "[\n  1,\n  {\n    \"a\": \"b\"\n  }\n]");
  EXPECT_EQ(R("{{ {'b': 1, 'a': 2}|tojson(sort_keys=true) }}"),
            R"({"a": 2, "b": 1})");
  EXPECT_EQ(R("{{ 'é'|tojson(ensure_ascii=true) }}"), R"("\u00e9")");
}

TEST(ChatTemplateTest, Tests) {
  const char* ctx =
      R"({"s": "x", "i": 3, "f": 1.5, "d": {}, "l": [], "n": null, "b": false})";
  EXPECT_EQ(
      R("{{ s is string }}{{ i is number }}{{ i is integer }}{{ f is integer }}"
        "{{ f is float }}{{ d is mapping }}{{ l is sequence }}{{ s is iterable "
        "}}"
        "{{ i is iterable }}{{ n is none }}{{ b is boolean }}{{ b is false }}"
        "{{ 0 is false }}{{ i is odd }}{{ i is even }}{{ s is equalto 'x' }}"
        "{{ i is not none }}{{ i is divisibleby 3 }}{{ d is not mapping }}",
        ctx),
      "TrueTrueTrueFalseTrueTrueTrueTrueFalseTrueTrueTrueFalseTrueFalseTrue"
      "TrueTrueFalse");
}

TEST(ChatTemplateTest, RaiseExceptionGivesItsMessage) {
  absl::StatusOr<std::string> out =
      Render("text {{ raise_exception('Roles must alternate') }}");
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(out.status().message(), "Roles must alternate");
}

TEST(ChatTemplateTest, StrftimeNowUsesTheClock) {
  EXPECT_EQ(
      R("{{ strftime_now('%d %b %Y') }}|{{ strftime_now('%A %H:%M %j') }}"),
      "09 Mar 2025|Sunday 08:05 068");
}

TEST(ChatTemplateTest, RenderErrorsNameTheLine) {
  EXPECT_EQ(RenderError("line one\n{% for x in 5 %}{% endfor %}"),
            "chat template line 2: 'int' object is not iterable");
  EXPECT_EQ(RenderError("a\nb\n{{ [1] < 'a' }}"),
            "chat template line 3: '<' not supported between instances of "
            "'list' and 'str'");
}

TEST(ChatTemplateTest, SyntaxErrorsNameTheLine) {
  EXPECT_EQ(ParseError("{% if x %}\n{{ x }}\n"),
            "chat template line 2: missing {% endif %} before the end of the "
            "template");
  EXPECT_EQ(ParseError("ok\n{{ x + }}"),
            "chat template line 2: unexpected \"}}\"");
  EXPECT_EQ(ParseError("{{ 'abc }}"),
            "chat template line 1: unterminated string");
  EXPECT_EQ(ParseError("\n\n{% endfor %}"),
            "chat template line 3: unexpected {% endfor %}");
  EXPECT_EQ(ParseError("{{ x\n"),
            "chat template line 1: unclosed tag: missing \"}}\"");
}

TEST(ChatTemplateTest, UnsupportedConstructsFailAtParse) {
  EXPECT_EQ(ParseError("a\nb\n{{ text|wordwrap(10) }}"),
            "chat template line 3: unsupported filter \"wordwrap\"");
  EXPECT_EQ(ParseError("{% if x is divisible %}{% endif %}"),
            "chat template line 1: unsupported test \"divisible\"");
  EXPECT_EQ(ParseError("\n{% include 'other.jinja' %}"),
            "chat template line 2: unsupported tag \"include\"");
  EXPECT_EQ(ParseError("{{ lipsum(2) }}"),
            "chat template line 1: unsupported function \"lipsum\"");
  EXPECT_EQ(ParseError("{{ xs.append(1) }}"),
            "chat template line 1: unsupported method \"append\"");
  EXPECT_EQ(ParseError("{{ xs|map('wordcount') }}"),
            "chat template line 1: unsupported filter \"wordcount\"");
  EXPECT_EQ(ParseError("{{ xs|selectattr('a', 'matching') }}"),
            "chat template line 1: unsupported test \"matching\"");
  EXPECT_EQ(ParseError("{% for x in xs recursive %}{% endfor %}"),
            "chat template line 1: unsupported recursive for loop");
  EXPECT_EQ(ParseError("{{ 1 < x < 3 }}"),
            "chat template line 1: unsupported chained comparison");
  EXPECT_EQ(ParseError("{% break %}"),
            "chat template line 1: {% break %} outside a for loop");
}

TEST(ChatTemplateTest, NamespaceAssignmentNeedsANamespace) {
  EXPECT_EQ(RenderError("{% set d = {} %}\n{% set d.x = 1 %}"),
            "chat template line 2: cannot assign attribute on \"d\": it is not "
            "a namespace()");
}

TEST(ChatTemplateTest, RunawayTemplatesAreStopped) {
  EXPECT_THAT(RenderError("{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}"),
              HasSubstr("nested deeper than"));
  EXPECT_THAT(RenderError("{{ 'x' * 100000000 }}"), HasSubstr("too long"));
  EXPECT_THAT(RenderError("{{ range(100000000)|length }}"),
              HasSubstr("too long"));
}

TEST(ChatTemplateTest, RendersConcurrently) {
  auto tmpl = ChatTemplate::Parse(
      "{% set ns = namespace(n=0) %}{% for m in messages %}{% set ns.n = ns.n "
      "+ 1 %}"
      "{{ m.content }}{% endfor %}{{ ns.n }}");
  ASSERT_TRUE(tmpl.ok());
  std::vector<std::thread> threads;
  std::vector<std::string> results(8);
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      boost::json::object context =
          boost::json::parse(
              R"({"messages": [{"content": "a"}, {"content": "b"}]})")
              .as_object();
      for (int k = 0; k < 200; ++k) results[i] = *tmpl->Render(context);
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& r : results) EXPECT_EQ(r, "ab2");
}

}  // namespace
}  // namespace inferd
