// InferenceService::PrepareGenerate / Generate on the committed tiny GGUF
// model, loaded through a real repository.

#include <filesystem>
#include <memory>
#include <string>

#include "absl/synchronization/mutex.h"
#include "boost/json/parse.hpp"
#include "absl/synchronization/notification.h"
#include "backend/testing/temp_model_repository.h"
#include "gtest/gtest.h"
#include "serving/chat_prompt.h"
#include "serving/inference_service.h"

namespace inferd {
namespace {

class GenerateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    repo_.WriteFile("llm/config.pbtxt",
                    "backend: \"gguf\"\n"
                    "parameters { key: \"context_length\" value { string_value: \"64\" } }\n"
                    "parameters { key: \"threads\" value { string_value: \"1\" } }\n"
                    "parameters { key: \"temperature\" value { string_value: \"0\" } }\n");
    repo_.MakeDir("llm/1");
    std::filesystem::copy_file("tests/data/llm/tiny-llama-f32.gguf",
                               repo_.root() + "/llm/1/model.gguf");
    // The same model with a chat template from a file beside its config.
    repo_.WriteFile("chat/config.pbtxt",
                    "backend: \"gguf\"\n"
                    "parameters { key: \"chat_template\" value { string_value: \"chat.jinja\" } }\n"
                    "parameters { key: \"threads\" value { string_value: \"1\" } }\n"
                    "parameters { key: \"temperature\" value { string_value: \"0\" } }\n");
    repo_.WriteFile("chat/chat.jinja",
                    "{{ bos_token }}{% for m in messages %}"
                    "{% if m.role not in ['system', 'user', 'assistant'] %}"
                    "{{ raise_exception('roles must be system, user or assistant') }}{% endif %}"
                    "[{{ m.role }}] {{ m.content | trim }}\n{% endfor %}"
                    "{% if add_generation_prompt %}[assistant]{% endif %}");
    repo_.MakeDir("chat/1");
    // The same model as a question-answering task with a template of ours.
    repo_.WriteFile("qa/config.pbtxt",
                    "backend: \"gguf\"\n"
                    "parameters { key: \"task\" value { string_value: \"question-answering\" } }\n"
                    "parameters { key: \"prompt_template\" value { string_value: "
                    "\"Q: {question} C: {context} A:\" } }\n"
                    "parameters { key: \"threads\" value { string_value: \"1\" } }\n"
                    "parameters { key: \"temperature\" value { string_value: \"0\" } }\n");
    repo_.MakeDir("qa/1");
    std::filesystem::copy_file("tests/data/llm/tiny-llama-f32.gguf",
                               repo_.root() + "/qa/1/model.gguf");
    std::filesystem::copy_file("tests/data/llm/tiny-llama-f32.gguf",
                               repo_.root() + "/chat/1/model.gguf");
    absl::StatusOr<std::unique_ptr<ModelRepository>> repository =
        ModelRepository::Create({repo_.root(), ModelControlMode::kNone, {}, &backends_});
    ASSERT_TRUE(repository.ok()) << repository.status();
    repository_ = *std::move(repository);
    repository_->LoadStartupModels();
    service_ = std::make_unique<InferenceService>(
        InferenceService::Options{.repository = repository_.get()});
    absl::StatusOr<ModelHandle> model = service_->Model("llm", "");
    ASSERT_TRUE(model.ok()) << model.status();
    model_ = *model;
  }

  absl::Status Refusal(GenerateInput input) {
    return service_->PrepareGenerate(model_, std::move(input)).status();
  }

  // Runs `input` to the end; `deltas` gets the streamed text.
  absl::StatusOr<GenerateResult> Run(GenerateInput input, std::string* deltas,
                                     std::shared_ptr<CancelSignal> cancel = nullptr) {
    absl::StatusOr<GenerateCall> call = service_->PrepareGenerate(model_, std::move(input));
    if (!call.ok()) return call.status();
    absl::Notification done;
    absl::StatusOr<GenerateResult> out;
    service_->Generate(
        *std::move(call), cancel,
        [deltas](const GenerateDelta& d) { deltas->append(d.text); },
        [&](absl::StatusOr<GenerateResult> result) {
          out = std::move(result);
          done.Notify();
        });
    done.WaitForNotification();
    return out;
  }

  testing::TempModelRepository repo_;
  BackendRegistry backends_;
  std::unique_ptr<ModelRepository> repository_;
  std::unique_ptr<InferenceService> service_;
  ModelHandle model_;
};

TEST_F(GenerateTest, GreedyResultEqualsItsDeltasAndRepeats) {
  std::string deltas;
  absl::StatusOr<GenerateResult> first =
      Run({.text_input = "Once upon a time", .max_tokens = 10, .ignore_eos = true}, &deltas);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_FALSE(first->text.empty());
  EXPECT_EQ(first->text, deltas);
  EXPECT_EQ(first->finish_reason, "length");
  EXPECT_EQ(first->generated_tokens, 10);
  EXPECT_GT(first->prompt_tokens, 1);
  std::string again;
  absl::StatusOr<GenerateResult> second =
      Run({.text_input = "Once upon a time", .max_tokens = 10, .ignore_eos = true}, &again);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->text, first->text);
}

TEST_F(GenerateTest, CancelledRequestEndsCancelled) {
  auto cancel = std::make_shared<CancelSignal>();
  cancel->Cancel();
  std::string deltas;
  absl::StatusOr<GenerateResult> result =
      Run({.text_input = "Once", .max_tokens = 60, .ignore_eos = true}, &deltas, cancel);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kCancelled) << result.status();
}

TEST_F(GenerateTest, BadInputIsRefusedNamingTheField) {
  const std::pair<GenerateInput, const char*> cases[] = {
      {{.text_input = "hi", .max_tokens = 0}, "max_tokens"},
      {{.text_input = "hi", .max_tokens = 1000000000}, "max_tokens"},
      {{.text_input = "hi", .max_tokens = 1000000000, .max_tokens_field = "max_completion_tokens"},
       "max_completion_tokens = 1000000000"},
      {{.text_input = "hi", .temperature = -1}, "temperature"},
      {{.text_input = "hi", .top_p = 0}, "top_p"},
      {{.text_input = "hi", .top_k = -1}, "top_k"},
      {{.text_input = "bad \xff utf-8"}, "prompt"},
      {{.text_input = "hi", .prompt_tokens = std::vector<int64_t>{1, -5}}, "prompt"},
      {{.text_input = "hi", .min_p = 2}, "min_p"},
      {{.text_input = "hi", .presence_penalty = 3}, "presence_penalty"},
      {{.text_input = "hi", .frequency_penalty = -2.5}, "frequency_penalty"},
      {{.text_input = "hi", .stop = {""}}, "stop"},
      {{.text_input = "hi", .logit_bias = {{1 << 20, 1.0}}}, "logit_bias"},
      {{.text_input = "hi", .logit_bias = {{1, 101.0}}}, "logit_bias"},
      {{.text_input = "hi", .logprobs = 21}, "top_logprobs"},
      {{.text_input = "hi", .messages = boost::json::array{}}, "messages"},  // no template
  };
  for (const auto& [input, field] : cases) {
    absl::Status status = Refusal(input);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << field;
    EXPECT_NE(std::string(status.message()).find(field), std::string::npos) << status;
  }
}

TEST_F(GenerateTest, APromptLongerThanTheContextCarriesItsErrorCode) {
  absl::Status status = Refusal({.text_input = std::string(2000, 'a') + " " + std::string(2000, 'z')});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(status.message()).find("context length"), std::string::npos) << status;
  EXPECT_EQ(GenerateErrorCode(status), "context_length_exceeded");
  EXPECT_EQ(GenerateErrorCode(Refusal({.text_input = "hi", .max_tokens = 0})), "");
}

TEST_F(GenerateTest, LogprobsComeOnePerTokenWithTheGreedyTokenOnTop) {
  std::string deltas;
  absl::StatusOr<GenerateResult> result = Run(
      {.text_input = "Once upon a time", .max_tokens = 6, .logprobs = 3, .ignore_eos = true},
      &deltas);
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->logprobs.size(), 6u);
  std::string joined;
  for (const TokenLogprobs& token : result->logprobs) {
    ASSERT_EQ(token.top.size(), 3u);
    EXPECT_EQ(token.top[0].bytes, token.bytes);  // greedy: the likeliest
    EXPECT_FLOAT_EQ(token.top[0].logprob, token.logprob);
    EXPECT_LE(token.logprob, 0);
    EXPECT_GE(token.top[0].logprob, token.top[1].logprob);
    joined += token.bytes;
  }
  EXPECT_EQ(joined, result->text);
}

TEST_F(GenerateTest, ALogitBiasOf100ForcesItsToken) {
  const std::vector<int32_t> the = model_->generator()->model().tokenizer().Encode("the", false, false);
  ASSERT_FALSE(the.empty());
  const int32_t forced = the.back();
  std::string deltas;
  absl::StatusOr<GenerateResult> result =
      Run({.text_input = "Once", .max_tokens = 3, .logit_bias = {{forced, 100.0}},
           .ignore_eos = true},
          &deltas);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->generated_tokens, 3);
  EXPECT_NE(result->text.find("the"), std::string::npos) << result->text;
}

TEST_F(GenerateTest, TokenPromptsEqualTheirText) {
  const auto ids = TokenizePrompt(*model_, "Once upon a time");
  std::string a, b;
  absl::StatusOr<GenerateResult> text =
      Run({.text_input = "Once upon a time", .max_tokens = 5, .ignore_eos = true}, &a);
  absl::StatusOr<GenerateResult> tokens =
      Run({.prompt_tokens = std::vector<int64_t>(ids.begin(), ids.end()), .max_tokens = 5,
           .ignore_eos = true},
          &b);
  ASSERT_TRUE(text.ok() && tokens.ok());
  EXPECT_EQ(text->text, tokens->text);
  EXPECT_EQ(text->prompt_tokens, tokens->prompt_tokens);
}

TEST_F(GenerateTest, MessagesAreRenderedWithTheTemplateFileAndBosIsNotDoubled) {
  absl::StatusOr<ModelHandle> chat = service_->Model("chat", "");
  ASSERT_TRUE(chat.ok()) << chat.status();
  boost::json::array messages{boost::json::object{{"role", "system"}, {"content", "Be brief."}},
                              boost::json::object{{"role", "user"}, {"content", " Hello "}}};
  GenerateInput input{.messages = messages, .max_tokens = 4, .ignore_eos = true};
  absl::StatusOr<std::string> text = RenderChatPrompt(**chat, input);
  ASSERT_TRUE(text.ok()) << text.status();
  const text::GgufTokenizer& tokenizer = (*chat)->generator()->model().tokenizer();
  EXPECT_EQ(*text, tokenizer.token_text(tokenizer.bos()) +
                       "[system] Be brief.\n[user] Hello\n[assistant]");
  absl::StatusOr<GenerateCall> call = service_->PrepareGenerate(*chat, input);
  ASSERT_TRUE(call.ok()) << call.status();
  EXPECT_EQ(call->request.prompt, TokenizePrompt(**chat, *text));
  EXPECT_EQ(call->request.prompt[0], tokenizer.bos());
  EXPECT_NE(call->request.prompt[1], tokenizer.bos());
  // The template's own refusal names the field and keeps its message.
  input.messages = boost::json::array{boost::json::object{{"role", "robot"}, {"content", "x"}}};
  absl::Status refused = service_->PrepareGenerate(*chat, input).status();
  EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(refused.message()).find("messages: roles must be"), std::string::npos)
      << refused;
}

TEST_F(GenerateTest, PredictOnAQuestionAnsweringModelAnswersPerInstance) {
  absl::StatusOr<ModelHandle> qa = service_->Model("qa", "");
  ASSERT_TRUE(qa.ok()) << qa.status();
  auto body = std::make_shared<boost::json::value>(boost::json::parse(
      R"({"instances": [{"question": "Who?", "context": "Once upon a time"}, {"question": "x"}],
          "parameters": {"max_new_tokens": 5}})"));
  PredictInput input;
  input.body = body;
  for (const boost::json::value& v : body->at("instances").as_array()) {
    input.instances.push_back({.json = &v});
  }
  input.parameters = &body->at("parameters").as_object();
  absl::StatusOr<std::shared_ptr<TaskCall>> call =
      service_->PreparePredict(*qa, std::move(input), nullptr);
  ASSERT_TRUE(call.ok()) << call.status();
  absl::Notification done;
  absl::StatusOr<TaskOutcome> outcome;
  service_->Predict(*call, [&](absl::StatusOr<TaskOutcome> result) {
    outcome = std::move(result);
    done.Notify();
  });
  done.WaitForNotification();
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  ASSERT_EQ(outcome->predictions.size(), 2u);
  ASSERT_TRUE(outcome->predictions[0].ok()) << outcome->predictions[0].status();
  EXPECT_TRUE(outcome->predictions[0]->as_object().contains("answer"));
  EXPECT_EQ(outcome->tokens[0], 5);
  // The instance without a context fails alone, naming what it lacks.
  EXPECT_NE(std::string(outcome->predictions[1].status().message()).find("context"),
            std::string::npos);
  EXPECT_EQ(outcome->succeeded, 1);
  EXPECT_EQ(outcome->failed, 1);
  // The same prompt through Generate gives the same answer (greedy).
  std::string deltas;
  absl::StatusOr<GenerateResult> direct = Run(
      {.text_input = "Q: Who? C: Once upon a time A:", .max_tokens = 5}, &deltas);
  ASSERT_TRUE(direct.ok());
  std::string expected = direct->text;
  expected.erase(0, expected.find_first_not_of(" \n"));
  EXPECT_EQ(outcome->predictions[0]->at("answer").as_string(), expected);
}

TEST_F(GenerateTest, PredictOnALanguageModelWithoutATaskIsRefused) {
  PredictInput input;
  absl::Status status = service_->PreparePredict(model_, std::move(input), nullptr).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(status.message()).find("without a task"), std::string::npos) << status;
}

TEST_F(GenerateTest, TensorInferIsRefusedForALanguageModel) {
  absl::StatusOr<InferCall> call = service_->PrepareInfer(model_, InferenceRequest{});
  EXPECT_EQ(call.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(call.status().message()).find("/generate"), std::string::npos);
}

}  // namespace
}  // namespace inferd
