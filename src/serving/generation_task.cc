#include "serving/generation_task.h"

#include <utility>

#include "absl/strings/str_replace.h"
#include "common/strings.h"

namespace inferd {
namespace {

namespace json = boost::json;

struct TaskSpec {
  const char* name;
  const char* output_key;
  const char* prompt_template;
};

constexpr TaskSpec kTasks[] = {
    {"text-generation", "generated_text", "{text}"},
    {"summarization", "summary_text",
     "Summarize the following text in a few sentences.\n\n{text}\n\nSummary:"},
    {"translation", "translation_text",
     "Translate the following text from {source_lang} to {target_lang}.\n\n{text}\n\n"
     "Translation:"},
    {"question-answering", "answer",
     "Answer the question from the context.\n\nContext: {context}\nQuestion: {question}\n"
     "Answer:"},
};

const std::string* ConfigString(const ModelVersion& model, const std::string& key) {
  auto it = model.config().parameters().find(key);
  return it == model.config().parameters().end() ? nullptr : &it->second.string_value();
}

// A string parameter: the request's, else the config's, else "".
absl::StatusOr<std::string> Setting(const ModelVersion& model, const json::object* parameters,
                                    const char* key) {
  if (parameters != nullptr) {
    if (const json::value* v = parameters->if_contains(key); v != nullptr && !v->is_null()) {
      if (!v->is_string()) {
        return absl::InvalidArgumentError(StrCat("parameters.", key, ": must be a string"));
      }
      return std::string(v->get_string());
    }
  }
  const std::string* configured = ConfigString(model, key);
  return configured ? *configured : std::string();
}

absl::StatusOr<std::string> Field(const json::value& instance, const char* key) {
  const json::object* object = instance.if_object();
  const json::value* v = object ? object->if_contains(key) : nullptr;
  if (v == nullptr || !v->is_string() || v->get_string().empty()) {
    return absl::InvalidArgumentError(StrCat("instance: \"", key, "\" must be a non-empty string"));
  }
  return std::string(v->get_string());
}

absl::StatusOr<std::string> InstanceText(const json::value& instance) {
  if (instance.is_string()) {
    if (instance.get_string().empty()) return absl::InvalidArgumentError("instance: the text is empty");
    return std::string(instance.get_string());
  }
  return Field(instance, "text");
}

// The request's sampling parameters into `input`.
absl::Status Sampling(const json::object& parameters, GenerateInput* input) {
  for (const auto& [key, value] : parameters) {
    const std::string k(key);
    const std::string field = StrCat("parameters.", k);
    if (k == "max_new_tokens" || k == "max_tokens" || k == "top_k" || k == "seed") {
      if (!value.is_int64() && !value.is_uint64()) {
        return absl::InvalidArgumentError(StrCat(field, ": must be an integer"));
      }
      const int64_t n = value.is_int64() ? value.get_int64() : static_cast<int64_t>(value.get_uint64());
      if (k == "top_k") {
        input->top_k = n;
      } else if (k == "seed") {
        input->seed = static_cast<uint64_t>(n);
      } else {
        input->max_tokens = n;
      }
    } else if (k == "temperature" || k == "top_p") {
      if (!value.is_number()) return absl::InvalidArgumentError(StrCat(field, ": must be a number"));
      (k == "temperature" ? input->temperature : input->top_p) = value.to_number<double>();
    } else if (k == "stop") {
      if (value.is_string()) {
        input->stop = {std::string(value.get_string())};
      } else if (value.is_array()) {
        for (const json::value& s : value.get_array()) {
          if (!s.is_string()) {
            return absl::InvalidArgumentError(StrCat(field, ": must be a string or strings"));
          }
          input->stop.emplace_back(s.get_string());
        }
      } else {
        return absl::InvalidArgumentError(StrCat(field, ": must be a string or strings"));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<GenerationTask> GenerationTaskOf(const ModelVersion& model,
                                                const json::object* parameters) {
  const std::string* name = ConfigString(model, "task");
  if (name == nullptr) {
    return absl::InvalidArgumentError(StrCat(
        "model \"", model.name(),
        "\" is a language model without a task (config.pbtxt parameters { key: \"task\" ... }: "
        "text-generation, summarization, translation or question-answering); use "
        "/v1/chat/completions or /v1/completions"));
  }
  const TaskSpec* spec = nullptr;
  for (const TaskSpec& t : kTasks) {
    if (*name == t.name) spec = &t;
  }
  if (spec == nullptr) {
    return absl::InvalidArgumentError(
        StrCat("model \"", model.name(), "\": task \"", *name,
               "\" is not a generation task (text-generation, summarization, translation, "
               "question-answering)"));
  }
  GenerationTask task{spec->name, spec->prompt_template, spec->output_key};
  task.return_full_text = task.name == "text-generation";
  absl::StatusOr<std::string> custom = Setting(model, parameters, "prompt_template");
  if (!custom.ok()) return custom.status();
  if (!custom->empty()) task.prompt_template = *custom;
  if (parameters != nullptr) {
    if (const json::value* full = parameters->if_contains("return_full_text")) {
      if (!full->is_bool()) {
        return absl::InvalidArgumentError("parameters.return_full_text: must be true or false");
      }
      task.return_full_text = task.name == "text-generation" && full->get_bool();
    }
  }
  if (task.name == "translation") {
    for (const char* key : {"source_lang", "target_lang"}) {
      absl::StatusOr<std::string> lang = Setting(model, parameters, key);
      if (!lang.ok()) return lang.status();
      if (lang->empty()) {
        return absl::InvalidArgumentError(
            StrCat("parameters.", key, ": translation needs it (in the request or the config)"));
      }
      task.prompt_template =
          absl::StrReplaceAll(task.prompt_template, {{StrCat("{", key, "}"), *lang}});
    }
  }
  return task;
}

absl::StatusOr<GenerateInput> GenerationTaskInput(const ModelVersion& model,
                                                  const GenerationTask& task,
                                                  const json::value& instance,
                                                  const json::object* parameters) {
  std::string prompt;
  if (task.name == "question-answering") {
    absl::StatusOr<std::string> question = Field(instance, "question");
    if (!question.ok()) return question.status();
    absl::StatusOr<std::string> context = Field(instance, "context");
    if (!context.ok()) return context.status();
    prompt = absl::StrReplaceAll(task.prompt_template,
                                 {{"{question}", *question}, {"{context}", *context}});
  } else {
    absl::StatusOr<std::string> text = InstanceText(instance);
    if (!text.ok()) return text.status();
    prompt = absl::StrReplaceAll(task.prompt_template, {{"{text}", *text}});
  }
  GenerateInput input;
  if (model.chat_template() != nullptr) {
    input.messages = json::array{json::object{{"role", "user"}, {"content", prompt}}};
  } else {
    input.text_input = std::move(prompt);
  }
  if (parameters != nullptr) {
    if (absl::Status s = Sampling(*parameters, &input); !s.ok()) return s;
  }
  return input;
}

json::value GenerationTaskPrediction(const GenerationTask& task, const std::string& instance_text,
                                     const GenerateResult& result) {
  std::string text = task.return_full_text ? instance_text + result.text : result.text;
  if (!task.return_full_text) {
    // Models often open an answer with a space or a newline.
    const size_t start = text.find_first_not_of(" \n");
    text = start == std::string::npos ? std::string() : text.substr(start);
  }
  return json::object{{task.output_key, std::move(text)}};
}

}  // namespace inferd
