#include "repository/model_repository.h"

#include <algorithm>
#include <filesystem>
#include <optional>

#include "absl/strings/numbers.h"
#include "common/strings.h"
#include "common/status_macros.h"
#include "config/model_config_loader.h"
#include "config/version_policy.h"
#include "repository/gguf_encoder_loader.h"
#include "repository/gguf_loader.h"
#include "repository/load_overrides.h"
#include "repository/model_folder_check.h"
#include "repository/model_warmup.h"
#include "scheduling/batch_policy_from_config.h"
#include "scheduling/gguf_settings.h"
#include "spdlog/spdlog.h"

namespace inferd {
namespace fs = std::filesystem;

std::string_view ModelStateName(ModelState state) {
  switch (state) {
    case ModelState::kLoading: return "LOADING";
    case ModelState::kReady: return "READY";
    case ModelState::kUnavailable: return "UNAVAILABLE";
    case ModelState::kUnloading: return "UNLOADING";
  }
  return "UNKNOWN";
}

namespace {

// The reason a READY version carries after a reload of its model failed.
std::string ReloadFailed(std::string_view why) {
  return StrCat("reload failed, still serving the version loaded before: ", why);
}

// Stops a version's work: the generation loop of a language model first
// (its sequences finish), then the tensor scheduler.
void DrainVersion(const ModelVersion& model) {
  if (model.generator() != nullptr) model.generator()->Drain();
  model.scheduler().Drain();
}

// Why Load and Unload are refused in `mode` (none and poll), or OK.
absl::Status CheckApiControl(ModelControlMode mode) {
  if (mode == ModelControlMode::kNone) {
    return absl::FailedPreconditionError(
        "model control mode is \"none\": start the server with "
        "--model-control-mode explicit to load and unload models");
  }
  if (mode == ModelControlMode::kPoll) {
    return absl::FailedPreconditionError(
        "model control mode is \"poll\": the server follows the model repository folder; "
        "change the folder to load, update or remove a model");
  }
  return absl::OkStatus();
}

// Whether any of a model's version slots is READY.
template <typename Slots>
bool HasReadyVersion(const Slots& versions) {
  for (const auto& [version, slot] : versions) {
    if (slot.state == ModelState::kReady) return true;
  }
  return false;
}

}  // namespace

absl::StatusOr<std::unique_ptr<ModelRepository>> ModelRepository::Create(
    Options options) {
  std::error_code ec;
  for (const auto& [name, path] : options.model_files) {
    INFERD_RETURN_IF_ERROR(ValidateModelName(name));
  }
  if (options.root.empty() && !options.model_files.empty()) {
    // Only model files: no folder to scan.
    if (options.backends == nullptr) {
      return absl::InvalidArgumentError("model repository needs backends");
    }
    return std::unique_ptr<ModelRepository>(new ModelRepository(std::move(options), {}));
  }
  if (!fs::is_directory(options.root, ec)) {
    return absl::InvalidArgumentError(StrCat(
        "model repository \"", options.root, "\" is not a directory"));
  }
  if (options.backends == nullptr) {
    return absl::InvalidArgumentError("model repository needs backends");
  }
  for (const std::string& name : options.startup_models) {
    INFERD_RETURN_IF_ERROR(ValidateModelName(name));
  }
  fs::path canonical_root = fs::canonical(options.root, ec);
  if (ec) {
    return absl::InvalidArgumentError(StrCat(
        "model repository \"", options.root, "\": ", ec.message()));
  }
  return std::unique_ptr<ModelRepository>(
      new ModelRepository(std::move(options), std::move(canonical_root)));
}

ModelRepository::~ModelRepository() { UnloadAll(); }

std::vector<std::string> ModelRepository::ScanModelNames() const {
  std::vector<std::string> names;
  std::error_code ec;
  if (!options_.root.empty()) {
    for (const auto& item : fs::directory_iterator(options_.root, ec)) {
      const std::string name = item.path().filename().string();
      if (name.empty() || name[0] == '.') continue;
      if (item.is_directory(ec) && options_.model_files.count(name) == 0) names.push_back(name);
    }
  }
  for (const auto& [name, path] : options_.model_files) names.push_back(name);
  std::sort(names.begin(), names.end());
  return names;
}

bool ModelRepository::HasFolder(const std::string& name) const {
  if (options_.model_files.count(name) > 0) return true;
  if (options_.root.empty()) return false;
  std::error_code ec;
  return fs::is_directory(options_.root + "/" + name, ec);
}

void ModelRepository::QueueStartupModels() {
  std::vector<std::string> names = options_.control_mode == ModelControlMode::kExplicit
                                       ? options_.startup_models
                                       : ScanModelNames();
  // Model files are named on the command line: loaded in either mode.
  for (const auto& [name, path] : options_.model_files) {
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  }
  // Models wait their turn as LOADING, so requests for them hear "still
  // loading" (503), not "unknown model" (404), while the ones before load.
  std::vector<std::string> queued;
  for (const std::string& name : names) {
    if (ValidateModelName(name).ok() && HasFolder(name)) queued.push_back(name);
  }
  absl::MutexLock lock(&mu_);
  for (const std::string& name : queued) {
    Entry& entry = entries_[name];
    entry.requested = true;
    entry.loading = true;
  }
  startup_names_ = std::move(names);
}

void ModelRepository::LoadStartupModels() {
  bool queued;
  {
    absl::MutexLock lock(&mu_);
    queued = startup_names_.has_value();
  }
  if (!queued) QueueStartupModels();
  std::vector<std::string> names;
  {
    absl::MutexLock lock(&mu_);
    names = *startup_names_;
  }
  {
    absl::MutexLock lock(&control_mu_);
    for (const std::string& name : names) {
      absl::Status status = LoadLocked(name, {});
      // A folder that is no model (NotFound) or has a name no model may have
      // (InvalidArgument before anything was recorded) is still reported.
      if (absl::IsNotFound(status) || !ValidateModelName(name).ok()) {
        SetModelError(name, std::string(status.message()));
      }
      absl::MutexLock lock(&mu_);
      if (auto it = entries_.find(name); it != entries_.end()) it->second.loading = false;
    }
  }
  absl::MutexLock lock(&mu_);
  startup_done_ = true;
}

void ModelRepository::SetModelError(const std::string& name, std::string error) {
  absl::MutexLock lock(&mu_);
  Entry& entry = entries_[name];
  bool serving = false;
  for (auto& [version, slot] : entry.versions) {
    if (slot.state == ModelState::kReady) {
      // A failed reload: the loaded versions keep serving and say why their
      // reload failed.
      slot.reason = ReloadFailed(error);
      serving = true;
    }
  }
  if (serving) {
    spdlog::error("model {}: reload failed, keeping the loaded versions: {}", name, error);
    return;
  }
  spdlog::error("model {}: {}", name, error);
  entry.requested = true;
  entry.error = std::move(error);
}

absl::Status ModelRepository::Load(const std::string& name) {
  INFERD_RETURN_IF_ERROR(CheckApiControl(options_.control_mode));
  absl::MutexLock lock(&control_mu_);
  return LoadLocked(name, {});
}

absl::Status ModelRepository::Load(const std::string& name, const LoadOverrides& overrides) {
  INFERD_RETURN_IF_ERROR(CheckApiControl(options_.control_mode));
  absl::MutexLock lock(&control_mu_);
  return LoadLocked(name, overrides);
}

absl::Status ModelRepository::LoadLocked(const std::string& name,
                                         const LoadOverrides& overrides,
                                         const FolderChange* change) {
  INFERD_RETURN_IF_ERROR(ValidateModelName(name));
  const bool overridden = overrides.config_json.has_value();
  if (!overrides.files.empty() && !overridden) {
    return absl::InvalidArgumentError(
        "load parameters: file overrides need \"config\" (the model config as JSON)");
  }
  if (overrides.files.empty() && !HasFolder(name)) {
    return absl::NotFoundError(StrCat(
        "model \"", name, "\" is not in the repository ", options_.root));
  }
  if (overridden && options_.model_files.count(name) > 0) {
    return absl::InvalidArgumentError(
        StrCat("model \"", name, "\" is served from a GGUF file: it takes no config override"));
  }
  std::optional<config::ModelConfig> config;
  if (overridden) {
    INFERD_ASSIGN_OR_RETURN(config, ConfigFromJson(*overrides.config_json, name));
  }
  std::unique_ptr<OverrideFolder> folder;
  if (!overrides.files.empty()) {
    INFERD_ASSIGN_OR_RETURN(folder, OverrideFolder::Write(name, overrides.files));
  }
  const bool from_file = options_.model_files.count(name) > 0;
  const std::string dir = folder ? folder->path() : options_.root + "/" + name;
  // Poll mode compares later stamps with the one taken before this load
  // reads anything, so a change made while it loads is not missed.
  std::optional<ModelFolderStamp> stamp;
  if (options_.control_mode == ModelControlMode::kPoll && !from_file && !overridden) {
    stamp = change ? change->stamp : StampModelFolder(dir);
  }
  {
    absl::MutexLock lock(&mu_);
    Entry& entry = entries_[name];
    entry.loading = true;
    entry.stamp = std::move(stamp);
  }
  absl::Status status =
      from_file ? LoadFileLocked(name)
                : LoadFolderLocked(name, dir, config ? &*config : nullptr, folder != nullptr,
                                   change ? &change->unchanged : nullptr);
  absl::MutexLock lock(&mu_);
  entries_[name].loading = false;
  return status;
}

absl::Status ModelRepository::LoadFileLocked(const std::string& name) {
  spdlog::info("model {}: loading {}", name, options_.model_files.at(name));
  config::ModelConfig config;
  config.set_platform("gguf");
  if (absl::Status status = CompleteModelConfig(name, config); !status.ok()) {
    SetModelError(name, std::string(status.message()));
    return status;
  }
  {
    absl::MutexLock lock(&mu_);
    Entry& entry = entries_[name];
    entry.requested = true;
    entry.error.clear();
    Slot& slot = entry.versions[1];
    if (slot.state != ModelState::kReady) slot.state = ModelState::kLoading;
  }
  absl::StatusOr<std::shared_ptr<ModelVersion>> loaded = LoadVersion(name, 1, config, "");
  std::vector<std::shared_ptr<PublishedVersion>> retired;
  {
    absl::MutexLock lock(&mu_);
    Slot& slot = entries_[name].versions[1];
    if (loaded.ok()) {
      if (slot.model) retired.push_back(std::move(slot.model));
      slot.model = std::make_shared<PublishedVersion>(*std::move(loaded));
      slot.state = ModelState::kReady;
      slot.reason.clear();
      spdlog::info("model {} version 1: READY", name);
    } else if (!slot.model) {
      slot.state = ModelState::kUnavailable;
      slot.reason = std::string(loaded.status().message());
      spdlog::error("model {} version 1: UNAVAILABLE: {}", name, slot.reason);
    } else {
      slot.reason = ReloadFailed(ToStd(loaded.status().message()));
    }
  }
  Retire(std::move(retired));
  if (!loaded.ok()) return absl::InvalidArgumentError(loaded.status().message());
  return absl::OkStatus();
}

absl::Status ModelRepository::LoadFolderLocked(const std::string& name, const std::string& dir,
                                               const config::ModelConfig* config_override,
                                               bool own_folder,
                                               const std::set<int64_t>* unchanged) {
  spdlog::info("model {}: loading{}", name, config_override ? " with a config override" : "");
  if (!options_.allow_symlinks_outside_repository && !own_folder) {
    absl::Status inside = CheckModelFolderStaysInside(canonical_root_, dir);
    if (!inside.ok()) {
      SetModelError(name, std::string(inside.message()));
      return absl::InvalidArgumentError(inside.message());
    }
  }
  std::error_code ec;
  absl::StatusOr<config::ModelConfig> config =
      config_override ? absl::StatusOr<config::ModelConfig>(*config_override)
                      : LoadModelConfig(dir, name);
  if (!config.ok()) {
    SetModelError(name, std::string(config.status().message()));
    return absl::InvalidArgumentError(config.status().message());
  }

  std::vector<int64_t> on_disk;
  for (const auto& item : fs::directory_iterator(dir, ec)) {
    int64_t v;
    if (item.is_directory(ec) &&
        absl::SimpleAtoi(item.path().filename().string(), &v) && v >= 0) {
      on_disk.push_back(v);
    }
  }
  std::vector<int64_t> chosen = SelectVersions(config->version_policy(), on_disk);
  if (chosen.empty()) {
    std::string error = on_disk.empty()
                            ? "no numeric version folder (e.g. 1/) in the model folder"
                            : "version_policy selects none of the version folders";
    SetModelError(name, error);
    return absl::InvalidArgumentError(error);
  }

  std::vector<int64_t> to_load;
  {
    absl::MutexLock lock(&mu_);
    Entry& entry = entries_[name];
    entry.requested = true;
    entry.error.clear();
    const bool serving = HasReadyVersion(entry.versions);
    for (int64_t v : chosen) {
      auto known = entry.versions.find(v);
      if (unchanged != nullptr && unchanged->count(v) > 0 && known != entry.versions.end() &&
          (known->second.state == ModelState::kReady ||
           known->second.state == ModelState::kUnavailable)) {
        continue;  // as it was: serving, or failed on these very files
      }
      to_load.push_back(v);
      Slot& slot = entry.versions[v];
      if (slot.state != ModelState::kReady) {
        slot.state = ModelState::kLoading;
        slot.reason.clear();
        slot.beside_serving = serving;
      }
    }
  }

  std::string first_error;
  std::string new_error;  // the first version that failed, named for the ones kept
  std::vector<std::shared_ptr<PublishedVersion>> retired;
  for (int64_t v : to_load) {
    absl::StatusOr<std::shared_ptr<ModelVersion>> loaded = LoadVersion(name, v, *config, dir);
    absl::MutexLock lock(&mu_);
    Slot& slot = entries_[name].versions[v];
    if (loaded.ok()) {
      if (slot.model) retired.push_back(std::move(slot.model));
      slot.model = std::make_shared<PublishedVersion>(*std::move(loaded));
      slot.state = ModelState::kReady;
      slot.reason.clear();
      spdlog::info("model {} version {}: READY", name, v);
    } else if (slot.state == ModelState::kLoading || !slot.model) {
      slot.state = ModelState::kUnavailable;
      slot.reason = std::string(loaded.status().message());
      slot.model.reset();
      spdlog::error("model {} version {}: UNAVAILABLE: {}", name, v, slot.reason);
      if (first_error.empty()) first_error = slot.reason;
      if (new_error.empty()) new_error = StrCat("version ", v, ": ", slot.reason);
    } else {
      // A reload failed: the old version keeps serving, and says why.
      slot.reason = ReloadFailed(ToStd(loaded.status().message()));
      spdlog::error("model {} version {}: reload failed, keeping the old one: {}",
                    name, v, loaded.status().message());
      if (first_error.empty()) first_error = std::string(loaded.status().message());
    }
  }
  // Versions the policy no longer selects are retired once a selected one
  // serves; until then (the new version is broken) they keep serving.
  {
    absl::MutexLock lock(&mu_);
    Entry& entry = entries_[name];
    bool selected_serves = false;
    for (int64_t v : chosen) {
      selected_serves = selected_serves || entry.versions[v].state == ModelState::kReady;
    }
    for (auto it = entry.versions.begin(); it != entry.versions.end();) {
      Slot& slot = it->second;
      if (std::find(chosen.begin(), chosen.end(), it->first) != chosen.end()) {
        ++it;
      } else if (!selected_serves && slot.state == ModelState::kReady) {
        if (!new_error.empty()) slot.reason = ReloadFailed(new_error);
        spdlog::error("model {} version {}: still serving, no newer version is READY", name,
                      it->first);
        ++it;
      } else {
        if (slot.model) retired.push_back(std::move(slot.model));
        it = entry.versions.erase(it);
      }
    }
  }
  Retire(std::move(retired));
  if (!first_error.empty()) return absl::InvalidArgumentError(first_error);
  return absl::OkStatus();
}

namespace {

// Errors for a model that cannot serve begin the way Triton's do
// ("Request for unknown model: 'x' is not found"): Triton's clients and
// examples match on that prefix.
std::string UnknownModel(const std::string& name, std::string_view what) {
  return StrCat("Request for unknown model: '", name, "' ", what);
}

}  // namespace

absl::StatusOr<std::shared_ptr<ModelVersion>> ModelRepository::LoadVersion(
    const std::string& name, int64_t version, const config::ModelConfig& config,
    const std::string& model_dir) {
  // A GGUF embedding model (an encoder) runs as instances of the
  // feature-extraction task, under a config that says so; a GGUF language
  // model has its own generation loop.
  std::optional<GgufEncoder> encoder;
  if (config.platform() == "gguf") {
    const std::string path =
        options_.model_files.count(name) > 0
            ? options_.model_files.at(name)
            : StrCat(model_dir, "/", version, "/", config.default_model_filename());
    std::error_code ec;
    if (fs::is_regular_file(path, ec)) {
      INFERD_ASSIGN_OR_RETURN(encoder, LoadGgufEncoder(path, config));
    }
    if (!encoder) return LoadLanguageModel(name, version, config, model_dir, path);
  }
  const config::ModelConfig& effective = encoder ? encoder->config : config;
  INFERD_ASSIGN_OR_RETURN(ModelSignature signature, ModelSignature::Create(effective));
  auto model = std::make_shared<ModelVersion>(name, version, effective, std::move(signature));
  INFERD_ASSIGN_OR_RETURN(BatchPolicy policy, BatchPolicyFromConfig(effective));
  std::vector<std::unique_ptr<ModelInstance>> instances;
  if (encoder) {
    model->set_file_tokenizer(encoder->model->tokenizer());
    instances = CreateGgufEncoderInstances(*encoder);
  } else {
    INFERD_ASSIGN_OR_RETURN(std::shared_ptr<Backend> backend, options_.backends->Find(config));
    ModelLoadContext context;
    context.config = &model->config();
    context.signature = &model->signature();
    context.version_dir = StrCat(model_dir, "/", version);
    std::error_code ec;
    if (!fs::is_directory(context.version_dir, ec)) {
      return absl::NotFoundError(StrCat("version folder ", context.version_dir, " is missing"));
    }
    INFERD_RETURN_IF_ERROR(LoadLabels(config, model_dir, *model));
    for (const auto& group : config.instance_group()) {
      for (int i = 0; i < group.count(); ++i) {
        context.instance_index = static_cast<int>(instances.size());
        INFERD_ASSIGN_OR_RETURN(std::unique_ptr<ModelInstance> instance,
                                backend->CreateInstance(context));
        instances.push_back(std::move(instance));
      }
    }
  }
  if (options_.attach) {
    INFERD_ASSIGN_OR_RETURN(std::shared_ptr<const ModelAttachment> attachment,
                            options_.attach(*model, model_dir));
    model->set_attachment(std::move(attachment));
  }
  for (const std::unique_ptr<ModelInstance>& instance : instances) {
    INFERD_RETURN_IF_ERROR(RunWarmup(effective, model_dir, *instance));
  }
  ModelScheduler::Options scheduler_options;
  scheduler_options.name = StrCat(name, ":", version);
  scheduler_options.policy = std::move(policy);
  scheduler_options.batched_model = effective.max_batch_size() > 0;
  for (const auto& output : effective.output()) {
    scheduler_options.output_names.push_back(output.name());
  }
  scheduler_options.preserve_ordering =
      effective.has_dynamic_batching() && effective.dynamic_batching().preserve_ordering();
  scheduler_options.clock = options_.clock;
  if (options_.metrics) {
    scheduler_options.metrics = options_.metrics->ForModel(name, std::to_string(version));
    model->set_metrics(*scheduler_options.metrics);
  }
  model->set_scheduler(ModelScheduler::Create(std::move(scheduler_options),
                                              std::move(instances)));
  return model;
}

absl::StatusOr<std::shared_ptr<ModelVersion>> ModelRepository::LoadLanguageModel(
    const std::string& name, int64_t version, const config::ModelConfig& config,
    const std::string& model_dir, const std::string& path) {
  INFERD_ASSIGN_OR_RETURN(ModelSignature signature, ModelSignature::Create(config));
  auto model = std::make_shared<ModelVersion>(name, version, config, std::move(signature));
  INFERD_RETURN_IF_ERROR(LoadGguf(path, options_.model_files.count(name) > 0 ? "" : model_dir,
                                  options_.metrics, *model));
  model->set_scheduler(ModelScheduler::Create(
      ModelScheduler::Options{.name = StrCat(name, ":", version)}, {}));
  return model;
}

absl::Status ModelRepository::Unload(const std::string& name) {
  INFERD_RETURN_IF_ERROR(CheckApiControl(options_.control_mode));
  INFERD_RETURN_IF_ERROR(ValidateModelName(name));
  absl::MutexLock control(&control_mu_);
  std::vector<std::shared_ptr<PublishedVersion>> draining;
  {
    absl::MutexLock lock(&mu_);
    auto it = entries_.find(name);
    if (it == entries_.end()) {
      if (!HasFolder(name)) {
        return absl::NotFoundError(UnknownModel(name, "is not found"));
      }
      return absl::OkStatus();  // in the repository but not loaded
    }
    for (auto& [version, slot] : it->second.versions) {
      if (slot.model) {
        slot.state = ModelState::kUnloading;
        draining.push_back(slot.model);
      }
    }
  }
  spdlog::info("model {}: unloading, waiting for in-flight requests", name);
  for (auto& model : draining) DrainVersion(model->model());
  absl::MutexLock lock(&mu_);
  Entry& entry = entries_[name];
  entry.requested = false;
  entry.error.clear();
  for (auto& [version, slot] : entry.versions) {
    slot.model.reset();
    slot.state = ModelState::kUnavailable;
    slot.reason = "unloaded";
  }
  spdlog::info("model {}: unloaded", name);
  return absl::OkStatus();
}

absl::StatusOr<ModelHandle> ModelRepository::Get(const std::string& name,
                                                 const std::string& version) const {
  INFERD_RETURN_IF_ERROR(ValidateModelName(name));
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(name);
  if (it == entries_.end()) {
    if (options_.control_mode == ModelControlMode::kExplicit && HasFolder(name)) {
      return absl::UnavailableError(
          UnknownModel(name, "has no available versions (the model is not loaded)"));
    }
    return absl::NotFoundError(UnknownModel(name, "is not found"));
  }
  const Entry& entry = it->second;
  const Slot* slot = nullptr;  // the requested version, when it is known
  int64_t v;
  if (version.empty()) {
    for (auto s = entry.versions.rbegin(); s != entry.versions.rend(); ++s) {
      if (s->second.state == ModelState::kReady) return s->second.model->handle();
    }
  } else if (absl::SimpleAtoi(version, &v) && entry.versions.count(v) > 0) {
    slot = &entry.versions.at(v);
    if (slot->state == ModelState::kReady) return slot->model->handle();
  }
  // Nothing READY to serve. A model whose load is queued or running is one
  // the repository knows: 503 until it is done, whatever versions it brings.
  if (entry.loading || (slot != nullptr && slot->state == ModelState::kLoading)) {
    return absl::UnavailableError(StrCat(
        "model \"", name, "\"", version.empty() ? "" : StrCat(" version ", version),
        " is still loading"));
  }
  if (!entry.error.empty()) {
    return absl::UnavailableError(
        StrCat("model \"", name, "\" is unavailable: ", entry.error));
  }
  if (!version.empty()) {
    if (slot == nullptr) {
      return absl::NotFoundError(UnknownModel(name, StrCat("version ", version, " is not found")));
    }
    return absl::UnavailableError(UnknownModel(
        name, StrCat("version ", version, " is not at ready state: it is ",
                     ModelStateName(slot->state), slot->reason.empty() ? "" : ": " + slot->reason)));
  }
  std::string why;
  if (!entry.versions.empty()) {
    const Slot& latest = entry.versions.rbegin()->second;
    why = StrCat(": ", ModelStateName(latest.state),
                       latest.reason.empty() ? "" : " (" + latest.reason + ")");
  }
  return absl::UnavailableError(UnknownModel(name, StrCat("has no available versions", why)));
}

std::vector<ModelHandle> ModelRepository::ReadyVersions() const {
  absl::MutexLock lock(&mu_);
  std::vector<ModelHandle> out;
  for (const auto& [name, entry] : entries_) {
    for (const auto& [version, slot] : entry.versions) {
      if (slot.state == ModelState::kReady && slot.model) out.push_back(slot.model->handle());
    }
  }
  return out;
}

std::vector<ModelStatus> ModelRepository::Index() const {
  std::vector<std::string> on_disk = ScanModelNames();
  absl::MutexLock lock(&mu_);
  std::map<std::string, ModelStatus> out;
  for (const auto& name : on_disk) {
    ModelStatus status;
    status.name = name;
    status.versions.push_back(
        VersionStatus{"", ModelState::kUnavailable, "not loaded"});
    out[name] = std::move(status);
  }
  for (const auto& [name, entry] : entries_) {
    ModelStatus status;
    status.name = name;
    if (!entry.error.empty()) {
      status.versions.push_back(VersionStatus{"", ModelState::kUnavailable, entry.error});
    }
    for (const auto& [version, slot] : entry.versions) {
      status.versions.push_back(
          VersionStatus{std::to_string(version), slot.state, slot.reason});
    }
    if (status.versions.empty()) {
      status.versions.push_back(entry.loading
                                    ? VersionStatus{"", ModelState::kLoading, ""}
                                    : VersionStatus{"", ModelState::kUnavailable, "not loaded"});
    }
    out[name] = std::move(status);
  }
  std::vector<ModelStatus> result;
  for (auto& [name, status] : out) result.push_back(std::move(status));
  return result;
}

bool ModelRepository::startup_done() const {
  absl::MutexLock lock(&mu_);
  return startup_done_;
}

bool ModelRepository::AllReady() const {
  absl::MutexLock lock(&mu_);
  if (!startup_done_) return false;
  for (const auto& [name, entry] : entries_) {
    if (!entry.requested) continue;
    if (!entry.error.empty()) return false;
    // A reload runs or failed beside versions that serve: still ready.
    const bool serving = HasReadyVersion(entry.versions);
    if (entry.loading && !serving) return false;
    for (const auto& [version, slot] : entry.versions) {
      if (slot.state != ModelState::kReady && !(serving && slot.beside_serving)) return false;
    }
  }
  return true;
}

int ModelRepository::Poll() {
  // The startup load stamps every folder; polls compare with that.
  if (options_.control_mode != ModelControlMode::kPoll || !startup_done()) return 0;
  absl::MutexLock control(&control_mu_);
  int changed = 0;
  std::vector<std::string> on_disk;
  for (const std::string& name : ScanModelNames()) {
    if (options_.model_files.count(name) == 0) on_disk.push_back(name);
  }
  for (const std::string& name : on_disk) {
    std::optional<ModelFolderStamp> before;
    bool known;
    {
      absl::MutexLock lock(&mu_);
      auto it = entries_.find(name);
      known = it != entries_.end();
      if (known) before = it->second.stamp;
    }
    if (absl::Status valid = ValidateModelName(name); !valid.ok()) {
      // Reported once; such a folder is never a model.
      if (!known) SetModelError(name, std::string(valid.message()));
      continue;
    }
    FolderChange change{StampModelFolder(options_.root + "/" + name), {}};
    if (before && *before == change.stamp) continue;
    if (before && before->shared == change.stamp.shared) {
      for (const auto& [version, digest] : change.stamp.versions) {
        auto it = before->versions.find(version);
        if (it != before->versions.end() && it->second == digest) {
          change.unchanged.insert(version);
        }
      }
    }
    spdlog::info("model {}: {} in the model repository", name,
                 known ? "changed" : "appeared");
    ++changed;
    absl::Status status = LoadLocked(name, {}, &change);
    if (absl::IsNotFound(status)) SetModelError(name, std::string(status.message()));
  }
  std::vector<std::string> gone;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [name, entry] : entries_) {
      if (options_.model_files.count(name) == 0 &&
          std::find(on_disk.begin(), on_disk.end(), name) == on_disk.end()) {
        gone.push_back(name);
      }
    }
  }
  for (const std::string& name : gone) {
    RemoveLocked(name);
    ++changed;
  }
  return changed;
}

void ModelRepository::RemoveLocked(const std::string& name) {
  std::vector<std::shared_ptr<PublishedVersion>> draining;
  {
    absl::MutexLock lock(&mu_);
    auto it = entries_.find(name);
    if (it == entries_.end()) return;
    for (auto& [version, slot] : it->second.versions) {
      if (slot.model) {
        slot.state = ModelState::kUnloading;
        draining.push_back(std::move(slot.model));
      }
    }
  }
  spdlog::info("model {}: its folder is gone; unloading once its requests finish", name);
  Retire(std::move(draining));
  absl::MutexLock lock(&mu_);
  entries_.erase(name);
  spdlog::info("model {}: unloaded", name);
}

void ModelRepository::Retire(std::vector<std::shared_ptr<PublishedVersion>> retired) {
  if (retired.empty()) return;
  Clock* clock = options_.clock != nullptr ? options_.clock : RealClock::Get();
  const absl::Time deadline = clock->Now() + options_.retire_wait;
  for (const std::shared_ptr<PublishedVersion>& old : retired) {
    const ModelVersion& model = old->model();
    if (!old->Withdraw(clock, deadline)) {
      spdlog::warn("model {} version {}: requests still hold the replaced version after {}; "
                   "draining it now (work they still offer it is refused)",
                   model.name(), model.version(), absl::FormatDuration(options_.retire_wait));
    }
    DrainVersion(model);
  }
}

void ModelRepository::UnloadAll() {
  absl::MutexLock control(&control_mu_);
  std::vector<std::shared_ptr<PublishedVersion>> draining;
  {
    absl::MutexLock lock(&mu_);
    for (auto& [name, entry] : entries_) {
      for (auto& [version, slot] : entry.versions) {
        if (slot.model) {
          slot.state = ModelState::kUnloading;
          draining.push_back(slot.model);
        }
      }
    }
  }
  for (auto& model : draining) DrainVersion(model->model());
  absl::MutexLock lock(&mu_);
  entries_.clear();
}

}  // namespace inferd
