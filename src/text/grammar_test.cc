#include "text/grammar.h"

#include <algorithm>
#include <random>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "common/strings.h"
#include "text/grammar_constraint.h"
#include "text/grammar_matcher.h"

namespace inferd::text {
namespace {

using ::testing::HasSubstr;

std::shared_ptr<const Grammar> MustCompile(std::string_view text) {
  auto g = Grammar::Compile(text);
  EXPECT_TRUE(g.ok()) << g.status();
  return g.ok() ? *g : nullptr;
}

// True when `text` is a complete sentence of `grammar`.
bool Matches(const std::shared_ptr<const Grammar>& grammar, std::string_view text) {
  GrammarMatcher m(grammar);
  const auto s = m.AdvanceBytes(m.start(), text);
  return s != GrammarMatcher::kDead && m.IsAccepting(s);
}

// True when `text` can be continued into a sentence (or is one).
bool IsPrefix(const std::shared_ptr<const Grammar>& grammar, std::string_view text) {
  GrammarMatcher m(grammar);
  return m.AdvanceBytes(m.start(), text) != GrammarMatcher::kDead;
}

std::string CompileError(std::string_view text) {
  auto g = Grammar::Compile(text);
  EXPECT_FALSE(g.ok()) << text;
  return g.ok() ? "" : std::string(g.status().message());
}

TEST(GrammarTest, LiteralsAlternativesAndGroups) {
  auto g = MustCompile(R"(root ::= "yes" | "no" | ("may" "be"))");
  EXPECT_TRUE(Matches(g, "yes"));
  EXPECT_TRUE(Matches(g, "no"));
  EXPECT_TRUE(Matches(g, "maybe"));
  EXPECT_FALSE(Matches(g, "ye"));
  EXPECT_TRUE(IsPrefix(g, "ye"));
  EXPECT_FALSE(IsPrefix(g, "yes!"));
  EXPECT_FALSE(Matches(g, ""));
}

TEST(GrammarTest, RulesSpanLinesAndCommentsAreIgnored) {
  auto g = MustCompile(
      "# a greeting\n"
      "root ::= greet\n"
      "   \" \" name  # who\n"
      "greet ::= \"hi\" | \"hello\"\n"
      "name ::= [A-Z] [a-z]*\n");
  EXPECT_TRUE(Matches(g, "hi Bob"));
  EXPECT_TRUE(Matches(g, "hello X"));
  EXPECT_FALSE(Matches(g, "hello bob"));
}

TEST(GrammarTest, CharacterClasses) {
  auto g = MustCompile(R"(root ::= [a-c0-9_] [^"\\] . [\x41-\x43] [\u00e9])");
  EXPECT_TRUE(Matches(g, "b\"x" "A\xc3\xa9") == false);  // quote refused by [^"\\]
  EXPECT_TRUE(Matches(g, "_zxB\xc3\xa9"));
  EXPECT_TRUE(Matches(g, "9\xe2\x82\xac" "\xe2\x82\xac" "C\xc3\xa9"));  // euro signs
  EXPECT_FALSE(Matches(g, "d zB\xc3\xa9"));
  EXPECT_FALSE(Matches(g, "a\\zB\xc3\xa9"));
  EXPECT_FALSE(Matches(g, "azzD\xc3\xa9"));
}

TEST(GrammarTest, Repetitions) {
  auto g = MustCompile(R"(root ::= "a"{2} "b"{1,3} "c"{2,} "d"? "e"+ "f"*)");
  EXPECT_TRUE(Matches(g, "aabcce"));
  EXPECT_TRUE(Matches(g, "aabbbccccdeeefff"));
  EXPECT_FALSE(Matches(g, "abcce"));       // one a
  EXPECT_FALSE(Matches(g, "aabbbbcce"));   // four b
  EXPECT_FALSE(Matches(g, "aabce"));       // one c
  EXPECT_FALSE(Matches(g, "aabccdde"));    // two d
  EXPECT_FALSE(Matches(g, "aabccd"));      // no e
  auto words = MustCompile(R"(root ::= ("ab" | "c"){0,2} "." )");
  EXPECT_TRUE(Matches(words, "."));
  EXPECT_TRUE(Matches(words, "abc."));
  EXPECT_FALSE(Matches(words, "abcab."));
}

TEST(GrammarTest, RecursionWithBaseCase) {
  auto g = MustCompile(R"(
root ::= list
list ::= "[" (item ("," item)*)? "]"
item ::= [0-9]+ | list
)");
  EXPECT_TRUE(Matches(g, "[]"));
  EXPECT_TRUE(Matches(g, "[1,[2,[3,[]]],45]"));
  EXPECT_FALSE(Matches(g, "[1,]"));
  EXPECT_FALSE(Matches(g, "[[1]"));
  std::string deep(500, '[');
  deep += std::string(500, ']');
  EXPECT_TRUE(Matches(g, deep));
}

TEST(GrammarTest, Utf8InLiterals) {
  auto g = MustCompile("root ::= \"h\xc3\xa9llo \xf0\x9f\x99\x82\"");
  EXPECT_TRUE(Matches(g, "h\xc3\xa9llo \xf0\x9f\x99\x82"));
  EXPECT_TRUE(IsPrefix(g, "h\xc3"));          // inside a character
  EXPECT_FALSE(IsPrefix(g, "h\xc3\xa8"));     // another character
  EXPECT_FALSE(IsPrefix(g, "h\xa9"));         // a stray continuation byte
  // Overlong forms of ASCII characters are not UTF-8, even where the
  // character they stand for is allowed.
  auto brace = MustCompile(R"(root ::= "{" [^"]* "}")");
  EXPECT_TRUE(Matches(brace, "{x}"));
  EXPECT_FALSE(IsPrefix(brace, "\xc1\xbb"));         // 2-byte '{'
  EXPECT_FALSE(IsPrefix(brace, "{\xe0\x81\xbd"));   // 3-byte '}'
  EXPECT_FALSE(IsPrefix(brace, "{\xf0\x80\x80\xbd"));  // 4-byte '}'
  EXPECT_FALSE(IsPrefix(brace, "{\xed\xa0\x80"));   // a surrogate
  EXPECT_TRUE(IsPrefix(brace, "{\xe2\x82\xac"));    // the euro sign
}

TEST(GrammarTest, NullableLoopsTerminate) {
  auto g = MustCompile(R"(root ::= ("x"?)* "y")");
  EXPECT_TRUE(Matches(g, "y"));
  EXPECT_TRUE(Matches(g, "xxy"));
}

TEST(GrammarTest, ErrorsNameTheProblem) {
  EXPECT_THAT(CompileError("root ::= value"), HasSubstr("rule \"value\" is used but not defined"));
  EXPECT_THAT(CompileError("start ::= \"a\""), HasSubstr("no rule named \"root\""));
  EXPECT_THAT(CompileError("root ::= expr\nexpr ::= expr \"+\" \"1\" | \"1\""),
              HasSubstr("rule \"expr\" is left-recursive"));
  EXPECT_THAT(CompileError("root ::= node\nnode ::= \"(\" node \")\""),
              HasSubstr("rule \"node\" can never finish"));
  EXPECT_THAT(CompileError("root ::= \"a\"\n\nroot ::= \"b\""), HasSubstr("defined twice"));
  EXPECT_THAT(CompileError("root ::= \"a\n\""), HasSubstr("line 1"));
  EXPECT_THAT(CompileError("root ::= \"a\"\nx ::= [b-a]"), HasSubstr("line 2, in rule \"x\""));
  EXPECT_THAT(CompileError("root ::= \"a\"{3,2}"), HasSubstr("m <= n"));
  EXPECT_THAT(CompileError("root ::= \"a\"{99999}"), HasSubstr("limited to"));
  EXPECT_THAT(CompileError("root ::= (\"a\""), HasSubstr("expected )"));
  EXPECT_THAT(CompileError("root ::= \"\\q\""), HasSubstr("unknown escape"));
  EXPECT_THAT(CompileError("root = \"a\""), HasSubstr("expected ::="));
  EXPECT_THAT(CompileError(""), HasSubstr("no rule named \"root\""));
}

TEST(GrammarTest, HostileInputIsRefusedNotACrash) {
  EXPECT_THAT(CompileError("root ::= " + std::string(100000, '(')), HasSubstr("nested deeper"));
  std::string big = "root ::= \"x\"\n";
  for (int i = 0; i < 60; ++i) big += StrCat("r", i, " ::= \"c\"{0,10000}\n");
  EXPECT_THAT(CompileError(big), HasSubstr("too large"));
  std::mt19937 rng(5);
  const std::string alphabet = "root::=\"ab[]^-()|*+?{},.#\\\n x0123456789";
  for (int i = 0; i < 2000; ++i) {
    std::string text = "root ::= ";
    for (int j = rng() % 40; j > 0; --j) text += alphabet[rng() % alphabet.size()];
    auto g = Grammar::Compile(text);
    if (g.ok()) Matches(*g, "ab");  // whatever compiles can run
  }
}

TEST(GrammarTest, NestedRepetitionsThatNeedMillionsOfStacksAreRefused) {
  // Each level multiplies the parses of the empty prefix: the start alone
  // would need ~10^8 stacks.
  EXPECT_THAT(CompileError(R"(root ::= (("a"{0,10000}){0,10000}){0,10000})"),
              HasSubstr("too ambiguous"));
  // Here the start has 300 stacks and each "a" adds 300 more (one per
  // way to split the run between the two levels): the matcher refuses
  // past its limit instead of growing without bound.
  auto g = MustCompile(R"(root ::= "x" (("a"{0,300}){0,300}))");
  GrammarMatcher m(g);
  auto state = m.Advance(m.start(), 'x');
  int read = 0;
  while (state != GrammarMatcher::kDead && read < 300) {
    ASSERT_FALSE(m.too_complex());
    state = m.Advance(state, 'a');
    ++read;
  }
  EXPECT_EQ(state, GrammarMatcher::kDead);
  EXPECT_TRUE(m.too_complex());
  EXPECT_GT(read, 5);
  EXPECT_LT(read, 30);
  EXPECT_LE(m.node_count(), GrammarMatcher::kMaxNodes + 1);
  // Ambiguity below the limits still runs.
  EXPECT_TRUE(Matches(MustCompile(R"(root ::= "x" (("a"{0,40}){0,40}))"),
                      "x" + std::string(300, 'a')));
}

// A small vocabulary of byte strings that covers every ASCII character
// alone plus longer pieces.
std::vector<std::string> Vocabulary() {
  std::vector<std::string> v = {"", ""};  // control tokens have no bytes
  for (int c = 32; c < 127; ++c) v.push_back(std::string(1, static_cast<char>(c)));
  for (const char* piece : {"\"", "\":", "{\"", "\"}", "true", "false", "null", "12", "345",
                            "ab", "abc", "name", " \"", ", \"", "\xc3\xa9", "\xc3", "\xa9",
                            "[1", "],", "}}", "\n"}) {
    v.push_back(piece);
  }
  return v;
}

// The id of `piece` in Vocabulary().
int32_t IdOf(std::string_view piece) {
  const auto vocab = Vocabulary();
  const auto it = std::find(vocab.begin(), vocab.end(), piece);
  EXPECT_NE(it, vocab.end()) << piece;
  return static_cast<int32_t>(it - vocab.begin());
}

TEST(GrammarConstraintTest, MaskMatchesTokenByTokenCheck) {
  auto g = MustCompile(R"(
root ::= "{" pair ("," " "? pair)* "}"
pair ::= "\"" [a-z\u00e9]+ "\":" value
value ::= "true" | "false" | "null" | [0-9]{1,4} | "[" [0-9] "]"
)");
  auto trie = TokenTrie::Create(Vocabulary());
  const auto& vocab = Vocabulary();
  std::mt19937 rng(7);
  for (int run = 0; run < 20; ++run) {
    GrammarConstraint c(g, trie);
    std::string text;
    for (int step = 0; step < 60 && c.can_continue(); ++step) {
      const std::vector<uint64_t> mask = c.AllowedTokens();
      std::vector<int32_t> allowed;
      for (int32_t id = 0; id < static_cast<int32_t>(vocab.size()); ++id) {
        const bool bit = (mask[id >> 6] >> (id & 63)) & 1;
        // The trie walk agrees with running the token's bytes through the grammar.
        ASSERT_EQ(bit, !vocab[id].empty() && IsPrefix(g, text + vocab[id]))
            << "token \"" << vocab[id] << "\" after \"" << text << "\"";
        ASSERT_EQ(bit, c.IsAllowed(id));
        if (bit) allowed.push_back(id);
      }
      if (allowed.empty() || (c.accepting() && rng() % 4 == 0)) break;
      const int32_t pick = allowed[rng() % allowed.size()];
      ASSERT_TRUE(c.Accept(pick));
      text += vocab[pick];
    }
    EXPECT_TRUE(IsPrefix(g, text)) << text;
    EXPECT_EQ(c.accepting(), Matches(g, text)) << text;
  }
}

TEST(GrammarConstraintTest, RefusesTokensOutsideTheGrammar) {
  auto g = MustCompile(R"(root ::= "ab")");
  GrammarConstraint c(g, TokenTrie::Create(Vocabulary()));
  EXPECT_FALSE(c.Accept(0));  // no bytes
  EXPECT_FALSE(c.Accept(-1));
  EXPECT_FALSE(c.Accept(100000));
  const int32_t ab = IdOf("ab"), b = IdOf("b");
  EXPECT_FALSE(c.Accept(b));
  EXPECT_FALSE(c.accepting());
  EXPECT_TRUE(c.Accept(ab));
  EXPECT_TRUE(c.accepting());
  EXPECT_FALSE(c.can_continue());
  for (uint64_t word : c.AllowedTokens()) EXPECT_EQ(word, 0u);
}

TEST(GrammarConstraintTest, TooComplexAllowsNothingMore) {
  // "!" may end the output after any run of a's: the mask of the last
  // state holds it, and is cached before the limit is passed.
  auto g = MustCompile(R"(root ::= "x" (("a"{0,300}){0,300}) "!"?)");
  GrammarConstraint c(g, TokenTrie::Create(Vocabulary()));
  const int32_t x = IdOf("x"), a = IdOf("a");
  ASSERT_TRUE(c.Accept(x));
  // As the engine does: a mask before each token. The refusal leaves the
  // last state in place, its mask cached from before.
  int read = 0;
  while (read < 300) {
    c.AllowedTokens();
    if (!c.Accept(a)) break;
    ASSERT_FALSE(c.too_complex());
    ++read;
  }
  EXPECT_TRUE(c.too_complex());
  EXPECT_LT(read, 30);
  for (uint64_t word : c.AllowedTokens()) EXPECT_EQ(word, 0u);
  EXPECT_FALSE(c.Accept(a));
  EXPECT_FALSE(c.IsAllowed(a));
  EXPECT_FALSE(c.accepting());
  EXPECT_FALSE(c.can_continue());
}

TEST(GrammarConstraintTest, MasksAreCachedPerState) {
  auto g = MustCompile(R"(root ::= "\"" [a-z]* "\"")");
  GrammarConstraint c(g, TokenTrie::Create(Vocabulary()));
  const int32_t quote = IdOf("\""), ab = IdOf("ab");
  c.AllowedTokens();
  ASSERT_TRUE(c.Accept(quote));
  for (int i = 0; i < 5; ++i) {
    c.AllowedTokens();
    ASSERT_TRUE(c.Accept(ab));
  }
  EXPECT_EQ(c.masks_computed(), 2);  // before and inside the string
  EXPECT_EQ(c.mask_hits(), 4);
}

}  // namespace
}  // namespace inferd::text
