#include "api/ollama_request.h"

#include <memory>
#include <string>

#include "api/embeddings_api.h"
#include "boost/json.hpp"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace inferd {
namespace {

namespace json = boost::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// The message of a refused request; fails the test when it was accepted.
std::string Refusal(const absl::StatusOr<OllamaRequest>& request) {
  EXPECT_FALSE(request.ok()) << "accepted";
  EXPECT_EQ(request.status().code(), absl::StatusCode::kInvalidArgument) << request.status();
  return std::string(request.status().message());
}

TEST(OllamaGenerateRequestTest, DefaultsStreamAndKeepsThePrompt) {
  absl::StatusOr<OllamaRequest> request =
      DecodeOllamaGenerate(R"({"model": "llm", "prompt": "Why is the sky blue?"})");
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_FALSE(request->chat);
  EXPECT_EQ(request->model, "llm");
  EXPECT_EQ(request->name, "llm");
  EXPECT_EQ(request->prompt, "Why is the sky blue?");
  EXPECT_TRUE(request->has_prompt);
  EXPECT_TRUE(request->stream);
  EXPECT_FALSE(request->raw);
  EXPECT_FALSE(request->keep_alive.has_value());
  EXPECT_FALSE(request->input.max_tokens.has_value());
}

TEST(OllamaGenerateRequestTest, OptionsMapToTheSampler) {
  absl::StatusOr<OllamaRequest> request = DecodeOllamaGenerate(R"({
    "model": "llm:latest", "prompt": "x", "system": "Be brief.", "raw": true, "stream": false,
    "keep_alive": "10m",
    "options": {"num_predict": 42, "temperature": 0.5, "top_k": 7, "top_p": 0.9, "min_p": 0.1,
                "seed": 123, "stop": ["\n", "user:"], "num_ctx": 64, "repeat_penalty": 1.1,
                "presence_penalty": 0.5, "frequency_penalty": -0.5,
                "mirostat": 1, "num_gpu": 99, "use_mmap": true, "numa": null}})");
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->model, "llm:latest");
  EXPECT_EQ(request->name, "llm");
  EXPECT_EQ(request->system, "Be brief.");
  EXPECT_TRUE(request->raw);
  EXPECT_FALSE(request->stream);
  EXPECT_EQ(request->keep_alive, absl::Minutes(10));
  const GenerateInput& input = request->input;
  EXPECT_EQ(input.max_tokens, 42);
  EXPECT_EQ(input.temperature, 0.5);
  EXPECT_EQ(input.top_k, 7);
  EXPECT_EQ(input.top_p, 0.9);
  EXPECT_EQ(input.min_p, 0.1);
  EXPECT_EQ(input.seed, 123u);
  EXPECT_THAT(input.stop, ElementsAre("\n", "user:"));
  EXPECT_EQ(request->num_ctx, 64);
  EXPECT_EQ(input.repeat_penalty, 1.1);
  EXPECT_EQ(input.presence_penalty, 0.5);
  EXPECT_EQ(input.frequency_penalty, -0.5);
  EXPECT_FALSE(request->until_context);
}

TEST(OllamaGenerateRequestTest, SpecialOptionValues) {
  for (const char* n : {"-1", "-2"}) {
    absl::StatusOr<OllamaRequest> request = DecodeOllamaGenerate(
        std::string(R"({"model": "m", "prompt": "x", "options": {"num_predict": )") + n + "}}");
    ASSERT_TRUE(request.ok()) << request.status();
    EXPECT_TRUE(request->until_context) << n;
    EXPECT_FALSE(request->input.max_tokens.has_value());
  }
  // A negative seed is Ollama's "random"; a single stop string is a list of one.
  absl::StatusOr<OllamaRequest> request = DecodeOllamaGenerate(
      R"({"model": "m", "prompt": "x", "options": {"seed": -1, "stop": "END"}})");
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_FALSE(request->input.seed.has_value());
  EXPECT_THAT(request->input.stop, ElementsAre("END"));
}

TEST(OllamaGenerateRequestTest, WithoutAPromptItOnlyLoadsOrUnloads) {
  absl::StatusOr<OllamaRequest> load = DecodeOllamaGenerate(R"({"model": "m"})");
  ASSERT_TRUE(load.ok()) << load.status();
  EXPECT_FALSE(load->has_prompt);
  absl::StatusOr<OllamaRequest> unload =
      DecodeOllamaGenerate(R"({"model": "m", "prompt": "", "keep_alive": 0})");
  ASSERT_TRUE(unload.ok()) << unload.status();
  EXPECT_FALSE(unload->has_prompt);
  EXPECT_EQ(unload->keep_alive, absl::ZeroDuration());
}

TEST(OllamaGenerateRequestTest, WhatInferdCannotDoIsRefusedNamingTheField) {
  // Empty values of those fields are what clients send by default: accepted.
  ASSERT_TRUE(DecodeOllamaGenerate(R"({"model": "m", "prompt": "x", "suffix": "", "images": [],
      "format": "", "template": "", "context": [], "think": false})").ok());
  const struct {
    const char* body;
    const char* field;
  } cases[] = {
      {R"({"model": "m", "prompt": "x", "suffix": "return"})", "suffix: "},
      {R"({"model": "m", "prompt": "x", "images": ["iVBOR"]})", "images: "},
      {R"({"model": "m", "prompt": "x", "format": "yaml"})", "format: must be \"json\" or a JSON schema"},
      {R"({"model": "m", "prompt": "x", "format": {"type": "object", "not": {}}})",
       "format: unsupported keyword \"not\" at #"},
      {R"({"model": "m", "prompt": "x", "template": "{{ .Prompt }}"})", "template: "},
      {R"({"model": "m", "prompt": "x", "context": [1, 2, 3]})", "context: "},
      {R"({"model": "m", "prompt": "x", "think": true})", "think: "},
  };
  for (const auto& c : cases) {
    EXPECT_THAT(Refusal(DecodeOllamaGenerate(c.body)), StartsWith(c.field)) << c.body;
  }
}

TEST(OllamaGenerateRequestTest, BadFieldsAreNamed) {
  const struct {
    const char* body;
    const char* field;
  } cases[] = {
      {R"({"prompt": "x"})", "model: is required"},
      {R"({"model": "", "prompt": "x"})", "model: is required"},
      {R"({"model": 7, "prompt": "x"})", "model: must be a string"},
      {R"({"model": "m", "prompt": 5})", "prompt: must be a string"},
      {R"({"model": "m", "prompt": "x", "system": ["a"]})", "system: must be a string"},
      {R"({"model": "m", "prompt": "x", "raw": "yes"})", "raw: must be true or false"},
      {R"({"model": "m", "prompt": "x", "stream": 1})", "stream: must be true or false"},
      {R"({"model": "m", "prompt": "x", "keep_alive": "soon"})", "keep_alive: must be a duration"},
      {R"({"model": "m", "prompt": "x", "keep_alive": true})", "keep_alive: must be a duration"},
      {R"({"model": "m", "prompt": "x", "options": [1]})", "options: must be an object"},
      {R"({"model": "m", "prompt": "x", "options": {"temperature": "hot"}})",
       "options.temperature: must be a number"},
      {R"({"model": "m", "prompt": "x", "options": {"num_predict": 0}})",
       "options.num_predict: 0 must be -1"},
      {R"({"model": "m", "prompt": "x", "options": {"num_predict": -3}})",
       "options.num_predict: -3 must be -1"},
      {R"({"model": "m", "prompt": "x", "options": {"num_predict": 1.5}})",
       "options.num_predict: must be an integer"},
      {R"({"model": "m", "prompt": "x", "options": {"top_k": "many"}})",
       "options.top_k: must be an integer"},
      {R"({"model": "m", "prompt": "x", "options": {"seed": 0.5}})",
       "options.seed: must be an integer"},
      {R"({"model": "m", "prompt": "x", "options": {"stop": [1]}})",
       "options.stop: must be a string or an array of strings"},
      {R"({"model": "m", "prompt": "x", "options": {"num_ctx": 0}})",
       "options.num_ctx: 0 must be at least 1"},
      {"{\"model\": \"m\", \"prompt\": \"bad \xff\"}", "prompt: not valid UTF-8"},
      {"{\"model\": \"m\", \"prompt\": \"x\", \"system\": \"\xc3\"}", "system: not valid UTF-8"},
      {R"({"model": "m", "prompt": )", "request body is not JSON"},
      {R"(["m"])", "request body must be a JSON object"},
  };
  for (const auto& c : cases) {
    EXPECT_THAT(Refusal(DecodeOllamaGenerate(c.body)), StartsWith(c.field)) << c.body;
  }
}

TEST(OllamaGenerateRequestTest, ATagOtherThanLatestIsAModelInferdDoesNotHave) {
  absl::StatusOr<OllamaRequest> request = DecodeOllamaGenerate(R"({"model": "llm:7b", "prompt": "x"})");
  ASSERT_FALSE(request.ok());
  EXPECT_EQ(request.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(request.status().message()), HasSubstr("\"llm:7b\" not found"));
}

TEST(OllamaChatRequestTest, MessagesKeepTheirRolesAndContent) {
  absl::StatusOr<OllamaRequest> request = DecodeOllamaChat(R"({
    "model": "llm", "stream": false,
    "messages": [{"role": "system", "content": "Be brief."},
                 {"role": "user", "content": "What is 2+2?"},
                 {"role": "assistant", "tool_calls": [{"function": {"name": "add",
                   "arguments": {"a": 2, "b": 2}}}]},
                 {"role": "tool", "content": "4", "tool_name": "add"}],
    "tools": [{"type": "function", "function": {"name": "add"}}]})");
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_TRUE(request->chat);
  EXPECT_TRUE(request->has_prompt);
  EXPECT_FALSE(request->stream);
  ASSERT_TRUE(request->input.messages.has_value());
  const json::array& messages = *request->input.messages;
  ASSERT_EQ(messages.size(), 4u);
  EXPECT_EQ(messages[0], json::parse(R"({"role": "system", "content": "Be brief."})"));
  EXPECT_EQ(messages[1], json::parse(R"({"role": "user", "content": "What is 2+2?"})"));
  // Content may be left out (an assistant's tool calls): it is "".
  EXPECT_EQ(messages[2].at("content"), "");
  EXPECT_EQ(messages[2].at("tool_calls").as_array().size(), 1u);
  EXPECT_EQ(messages[3].at("tool_name"), "add");
  EXPECT_EQ(messages[3].at("name"), "add");
  EXPECT_TRUE(request->input.tools.is_array());
}

TEST(OllamaChatRequestTest, NoMessagesOnlyLoadsTheModel) {
  for (const char* body : {R"({"model": "m"})", R"({"model": "m", "messages": []})",
                           R"({"model": "m", "messages": null})"}) {
    absl::StatusOr<OllamaRequest> request = DecodeOllamaChat(body);
    ASSERT_TRUE(request.ok()) << request.status();
    EXPECT_FALSE(request->has_prompt) << body;
  }
}

TEST(OllamaChatRequestTest, BadMessagesAreNamed) {
  const struct {
    const char* body;
    const char* field;
  } cases[] = {
      {R"({"model": "m", "messages": "hi"})", "messages: must be an array"},
      {R"({"model": "m", "messages": ["hi"]})", "messages[0]: must be an object"},
      {R"({"model": "m", "messages": [{"content": "hi"}]})", "messages[0].role: is required"},
      {R"({"model": "m", "messages": [{"role": 1, "content": "hi"}]})",
       "messages[0].role: must be a string"},
      {R"({"model": "m", "messages": [{"role": "user", "content": "a"},
                                      {"role": "robot", "content": "b"}]})",
       "messages[1].role: \"robot\" is not one of system, user, assistant, tool"},
      {R"({"model": "m", "messages": [{"role": "user", "content": ["a"]}]})",
       "messages[0].content: must be a string"},
      {R"({"model": "m", "messages": [{"role": "user", "content": "a", "images": ["iVBOR"]}]})",
       "messages[0].images: "},
      {R"({"model": "m", "messages": [{"role": "assistant", "tool_calls": {}}]})",
       "messages[0].tool_calls: must be an array"},
      {R"({"model": "m", "messages": [{"role": "tool", "content": "4", "tool_name": 4}]})",
       "messages[0].tool_name: must be a string"},
      {R"({"model": "m", "messages": [{"role": "assistant", "tool_calls": [{"function": 5}]}]})",
       "messages[0].tool_calls[0].function: is required"},
      {R"({"model": "m", "messages": [{"role": "assistant", "tool_calls": [{"function": {"name": "f"}}]}]})",
       "messages[0].tool_calls[0].function.arguments: is required"},
      {"{\"model\": \"m\", \"messages\": [{\"role\": \"tool\", \"content\": \"4\", \"tool_name\": \"\xff\"}]}",
       "messages[0].tool_name: not valid UTF-8"},
      {"{\"model\": \"m\", \"messages\": [], \"tools\": [{\"function\": {\"name\": \"\xff\"}}]}",
       "tools[0].function.name: not valid UTF-8"},
      {"{\"model\": \"m\", \"messages\": [{\"role\": \"user\", \"content\": \"\xff\"}]}",
       "messages[0].content: not valid UTF-8"},
      {R"({"model": "m", "messages": [], "tools": {}})", "tools: must be an array"},
      {R"({"model": "m", "messages": [], "options": {"temperature": true}})",
       "options.temperature: must be a number"},
      {R"({"messages": []})", "model: is required"},
  };
  for (const auto& c : cases) {
    EXPECT_THAT(Refusal(DecodeOllamaChat(c.body)), StartsWith(c.field)) << c.body;
  }
}

TEST(OllamaKeepAliveTest, DurationsNumbersAndForever) {
  const struct {
    const char* json;
    absl::Duration want;
  } cases[] = {
      {R"("5m")", absl::Minutes(5)},
      {R"("1h30m")", absl::Minutes(90)},
      {R"("30s")", absl::Seconds(30)},
      {R"("0")", absl::ZeroDuration()},
      {R"("300")", absl::Seconds(300)},
      {"0", absl::ZeroDuration()},
      {"300", absl::Seconds(300)},
      {"2.5", absl::Milliseconds(2500)},
      {"-1", absl::InfiniteDuration()},
      {R"("-1")", absl::InfiniteDuration()},
      {R"("-1m")", absl::InfiniteDuration()},
  };
  for (const auto& c : cases) {
    absl::StatusOr<absl::Duration> d = ParseKeepAlive(json::parse(c.json));
    ASSERT_TRUE(d.ok()) << c.json << ": " << d.status();
    EXPECT_EQ(*d, c.want) << c.json;
  }
  for (const char* bad : {R"("soon")", R"("5 minutes")", R"("")", "true", "[5]", "{}"}) {
    absl::StatusOr<absl::Duration> d = ParseKeepAlive(json::parse(bad));
    EXPECT_FALSE(d.ok()) << bad;
    EXPECT_THAT(std::string(d.status().message()), StartsWith("keep_alive: ")) << bad;
  }
}

TEST(OllamaModelNameTest, LatestIsTheModelAndOtherTagsAreNotFound) {
  EXPECT_EQ(OllamaModelName("llm").value(), "llm");
  EXPECT_EQ(OllamaModelName("llm:latest").value(), "llm");
  for (const char* missing : {"llm:7b", "library/llm", "hf.co/a/b:Q4", ":latest", "a:b:latest"}) {
    EXPECT_EQ(OllamaModelName(missing).status().code(), absl::StatusCode::kNotFound) << missing;
  }
  EXPECT_EQ(OllamaModelName("").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(OllamaEmbedRequestTest, InputIsAStringOrAListOfStrings) {
  absl::StatusOr<OllamaEmbedRequest> one = DecodeOllamaEmbed(
      R"({"model": "embedder:latest", "input": "hello", "keep_alive": -1})", kMaxEmbeddingInputs);
  ASSERT_TRUE(one.ok()) << one.status();
  EXPECT_EQ(one->model, "embedder:latest");
  EXPECT_EQ(one->name, "embedder");
  ASSERT_EQ(one->inputs.size(), 1u);
  EXPECT_EQ(*one->inputs[0], "hello");
  EXPECT_EQ(one->keep_alive, absl::InfiniteDuration());
  absl::StatusOr<OllamaEmbedRequest> many = DecodeOllamaEmbed(
      R"({"model": "embedder", "input": ["a", "b"], "truncate": true, "dimensions": 8,
          "options": {"temperature": 0}})",
      kMaxEmbeddingInputs);
  ASSERT_TRUE(many.ok()) << many.status();
  ASSERT_EQ(many->inputs.size(), 2u);
  EXPECT_EQ(*many->inputs[1], "b");
  EXPECT_EQ(many->dimensions, 8);
  absl::StatusOr<OllamaEmbedRequest> none =
      DecodeOllamaEmbed(R"({"model": "embedder"})", kMaxEmbeddingInputs);
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_TRUE(none->inputs.empty());
}

TEST(OllamaEmbedRequestTest, BadFieldsAreNamed) {
  const struct {
    const char* body;
    const char* field;
  } cases[] = {
      {R"({"input": "a"})", "model: is required"},
      {R"({"model": "e", "input": 5})", "input: must be a string or an array of strings"},
      {R"({"model": "e", "input": ["a", 5]})", "input[1]: must be a string"},
      // What the route takes, strings: never "or a list of token ids".
      {R"({"model": "e", "input": ""})", "input: must not be an empty string"},
      {R"({"model": "e", "input": ["a", ""]})", "input[1]: must not be an empty string"},
      {R"({"model": "e", "input": "a", "truncate": false})", "truncate: false is not supported"},
      {R"({"model": "e", "input": "a", "truncate": "no"})", "truncate: must be true or false"},
      {R"({"model": "e", "input": "a", "dimensions": 0})", "dimensions: 0 must be at least 1"},
      {R"({"model": "e", "input": "a", "keep_alive": "never"})", "keep_alive: "},
      {R"({"model": "e", "input": "a", "options": "abc"})", "options: must be an object"},
      {R"({"model": "e", "input": "a", "options": []})", "options: must be an object"},
  };
  for (const auto& c : cases) {
    absl::StatusOr<OllamaEmbedRequest> request = DecodeOllamaEmbed(c.body, kMaxEmbeddingInputs);
    ASSERT_FALSE(request.ok()) << c.body;
    EXPECT_EQ(request.status().code(), absl::StatusCode::kInvalidArgument) << c.body;
    EXPECT_THAT(std::string(request.status().message()), StartsWith(c.field)) << c.body;
  }
}

// The same limit as /v1/embeddings: a request of 400k inputs once
// exhausted the server's memory.
TEST(OllamaEmbedRequestTest, InputsAreLimitedAsOnV1Embeddings) {
  auto body = [](size_t n) {
    json::array input;
    for (size_t i = 0; i < n; ++i) input.emplace_back("x");
    return json::serialize(json::object{{"model", "embedder"}, {"input", std::move(input)}});
  };
  absl::StatusOr<OllamaEmbedRequest> most = DecodeOllamaEmbed(body(3), 3);
  ASSERT_TRUE(most.ok()) << most.status();
  EXPECT_EQ(most->inputs.size(), 3u);
  absl::StatusOr<OllamaEmbedRequest> over = DecodeOllamaEmbed(body(4), 3);
  EXPECT_EQ(over.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(over.status().message(), "input: 4 strings; at most 3 are accepted");
  EXPECT_TRUE(DecodeOllamaEmbed(body(kMaxEmbeddingInputs), kMaxEmbeddingInputs).ok());
  EXPECT_THAT(
      std::string(
          DecodeOllamaEmbed(body(kMaxEmbeddingInputs + 1), kMaxEmbeddingInputs).status().message()),
      StartsWith("input: 2049 strings; at most 2048"));
}

TEST(OllamaEmbedRequestTest, TheLegacyRouteTakesOnePrompt) {
  absl::StatusOr<OllamaEmbedRequest> request =
      DecodeOllamaEmbeddings(R"({"model": "embedder", "prompt": "hello"})");
  ASSERT_TRUE(request.ok()) << request.status();
  ASSERT_EQ(request->inputs.size(), 1u);
  EXPECT_EQ(*request->inputs[0], "hello");
  EXPECT_TRUE(DecodeOllamaEmbeddings(R"({"model": "embedder", "prompt": ""})")->inputs.empty());
  EXPECT_THAT(std::string(
                  DecodeOllamaEmbeddings(R"({"model": "embedder", "prompt": ["a"]})").status().message()),
              StartsWith("prompt: must be a string"));
}

TEST(OllamaModelRequestTest, ModelOrTheOlderName) {
  absl::StatusOr<OllamaModelRequest> model = DecodeOllamaModelRequest(R"({"model": "llm"})");
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_EQ(model->name, "llm");
  EXPECT_TRUE(model->stream);
  absl::StatusOr<OllamaModelRequest> name =
      DecodeOllamaModelRequest(R"({"name": "llm:latest", "stream": false, "insecure": false})");
  ASSERT_TRUE(name.ok()) << name.status();
  EXPECT_EQ(name->model, "llm:latest");
  EXPECT_EQ(name->name, "llm");
  EXPECT_FALSE(name->stream);
  EXPECT_THAT(std::string(DecodeOllamaModelRequest("{}").status().message()),
              StartsWith("model: is required"));
  EXPECT_THAT(std::string(DecodeOllamaModelRequest(R"({"name": 3})").status().message()),
              StartsWith("name: must be a string"));
}

TEST(OllamaFieldErrorTest, ServiceErrorsNameTheOptionsAsTheRequestDid) {
  EXPECT_EQ(OllamaFieldError(absl::InvalidArgumentError("max_tokens = 999: must be in [1, 128]"), true)
                .message(),
            "options.num_predict = 999: must be in [1, 128]");
  EXPECT_EQ(OllamaFieldError(absl::InvalidArgumentError("temperature = -1: must be in [0, 100]"), false)
                .message(),
            "options.temperature = -1: must be in [0, 100]");
  EXPECT_EQ(OllamaFieldError(absl::InvalidArgumentError("stop: at most 16 strings, got 17"), true)
                .message(),
            "options.stop: at most 16 strings, got 17");
  // Not an option, or not a field at its start: as it was.
  EXPECT_EQ(OllamaFieldError(absl::InvalidArgumentError("prompt: the prompt has no tokens"), false)
                .message(),
            "prompt: the prompt has no tokens");
  EXPECT_EQ(OllamaFieldError(absl::InvalidArgumentError("top_pie: x"), false).message(),
            "top_pie: x");
  EXPECT_EQ(OllamaFieldError(absl::NotFoundError("temperature: x"), false).code(),
            absl::StatusCode::kNotFound);
  // /api/generate's prompt became a user message: errors about it name the prompt.
  const absl::Status too_long =
      absl::InvalidArgumentError("messages: the prompt is 400 tokens; the model's context ...");
  EXPECT_EQ(OllamaFieldError(too_long, /*chat=*/false).message(),
            "prompt: the prompt is 400 tokens; the model's context ...");
  EXPECT_EQ(OllamaFieldError(too_long, /*chat=*/true).message(), too_long.message());
}

// A version without a generation loop, with or without a chat template:
// enough for the prompt choices of /api/generate.
std::unique_ptr<ModelVersion> Version(bool with_template) {
  auto model = std::make_unique<ModelVersion>("m", 1, config::ModelConfig(), ModelSignature());
  std::optional<ChatTemplate> chat_template;
  if (with_template) {
    chat_template = ChatTemplate::Parse("{% for m in messages %}[{{ m.role }}]{{ m.content }}"
                                        "{% endfor %}")
                        .value();
  }
  model->set_generator(nullptr, GgufSettings(), std::move(chat_template));
  return model;
}

TEST(OllamaGenerateInputTest, ThePromptIsAUserMessageUnlessRaw) {
  absl::StatusOr<OllamaRequest> request =
      DecodeOllamaGenerate(R"({"model": "m", "prompt": "Hi", "system": "Be brief."})");
  ASSERT_TRUE(request.ok()) << request.status();
  const std::unique_ptr<ModelVersion> templated = Version(/*with_template=*/true);
  absl::StatusOr<GenerateInput> chat = OllamaGenerateInput(*templated, *request);
  ASSERT_TRUE(chat.ok()) << chat.status();
  ASSERT_TRUE(chat->messages.has_value());
  EXPECT_EQ(*chat->messages, json::parse(R"([{"role": "system", "content": "Be brief."},
                                              {"role": "user", "content": "Hi"}])"));
  OllamaRequest raw = *request;
  raw.raw = true;
  absl::StatusOr<GenerateInput> as_is = OllamaGenerateInput(*templated, raw);
  ASSERT_TRUE(as_is.ok()) << as_is.status();
  EXPECT_FALSE(as_is->messages.has_value());
  EXPECT_EQ(as_is->text_input, "Hi");
  // No template: the text as is, after the system text.
  absl::StatusOr<GenerateInput> plain = OllamaGenerateInput(*Version(false), *request);
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_FALSE(plain->messages.has_value());
  EXPECT_EQ(plain->text_input, "Be brief.\n\nHi");
}

}  // namespace
}  // namespace inferd
