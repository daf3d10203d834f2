// Renders the real chat templates of tests/data/chat_templates with every
// conversation there and compares byte for byte with what Jinja2 renders in
// Hugging Face's environment (goldens written at build time by
// render_reference.py).

#include <fstream>
#include <sstream>
#include <string>

#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "boost/json/parse.hpp"
#include "common/clock.h"
#include "gtest/gtest.h"
#include "text/chat_template.h"

namespace inferd {
namespace {

// The time render_reference.py gives strftime_now (2024-07-26 12:00:00).
class FixedClock : public Clock {
 public:
  absl::Time Now() const override {
    return absl::FromCivil(absl::CivilSecond(2024, 7, 26, 12, 0, 0),
                           absl::UTCTimeZone());
  }
  bool AwaitWithDeadline(absl::Mutex*, const absl::Condition&,
                         absl::Time) override {
    return false;
  }
};

boost::json::value ReadJson(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  std::stringstream text;
  text << in.rdbuf();
  return boost::json::parse(text.str());
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(ChatTemplateGoldenTest, MatchesJinja2ForEveryTemplateAndConversation) {
  const std::string data = INFERD_CHAT_TEMPLATE_DATA;
  boost::json::object templates =
      ReadJson(data + "/templates.json").as_object();
  boost::json::object conversations =
      ReadJson(data + "/conversations.json").as_object();
  boost::json::object goldens =
      ReadJson(INFERD_CHAT_TEMPLATE_GOLDENS).as_object();
  ASSERT_GE(templates.size(), 10u);

  FixedClock clock;
  ChatTemplate::Options options;
  options.clock = &clock;
  options.time_zone = absl::UTCTimeZone();
  int compared = 0;
  for (const auto& t : templates) {
    const std::string name(t.key());
    SCOPED_TRACE("template " + name);
    std::string source = ReadFile(data + "/" + name + ".jinja");
    ASSERT_FALSE(source.empty());
    absl::StatusOr<ChatTemplate> tmpl = ChatTemplate::Parse(source, options);
    ASSERT_TRUE(tmpl.ok()) << tmpl.status();
    const boost::json::object& info = t.value().as_object();
    for (const auto& c : conversations) {
      const std::string conversation(c.key());
      SCOPED_TRACE("conversation " + conversation);
      boost::json::object context;
      context["bos_token"] = info.at("bos_token");
      context["eos_token"] = info.at("eos_token");
      for (const auto& kv : c.value().as_object())
        context[kv.key()] = kv.value();

      const boost::json::object& golden =
          goldens.at(name).as_object().at(conversation).as_object();
      absl::StatusOr<std::string> got = tmpl->Render(context);
      if (golden.contains("text")) {
        ASSERT_TRUE(got.ok()) << got.status();
        EXPECT_EQ(*got, std::string(golden.at("text").as_string()));
      } else {
        std::string error(golden.at("error").as_string());
        ASSERT_FALSE(got.ok()) << "Jinja2 failed with: " << error;
        // raise_exception() messages pass through unchanged; Python's own
        // errors (TypeError: ...) only have to fail.
        if (error.find("Error: ") == std::string::npos) {
          EXPECT_EQ(got.status().message(), error);
        }
      }
      ++compared;
    }
  }
  EXPECT_EQ(compared,
            static_cast<int>(templates.size() * conversations.size()));
}

}  // namespace
}  // namespace inferd
