#pragma once

// Owns the lifecycle of every model in a Triton-style model repository:
// scanning folders, choosing versions by policy, loading them through a
// backend, serving handles to READY versions, and unloading.
//
// Each version moves LOADING -> READY | UNAVAILABLE(reason) -> UNLOADING.
// A broken model never affects the others. Load/Unload block while models
// load or drain, so call them off the I/O threads. Thread-safe.
//
// Model names are checked (ValidateModelName) before they touch the file
// system, and a model folder whose symbolic links lead outside the root is
// UNAVAILABLE unless Options::allow_symlinks_outside_repository.

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "backend/backend.h"
#include "common/clock.h"
#include "metrics/inference_metrics.h"
#include "repository/model_version.h"

namespace inferd {

enum class ModelState { kLoading, kReady, kUnavailable, kUnloading };
std::string_view ModelStateName(ModelState state);  // "READY", ...

enum class ModelControlMode { kNone, kExplicit };

struct VersionStatus {
  std::string version;  // empty when the model failed before versions were known
  ModelState state = ModelState::kUnavailable;
  // Why the version is not READY; for a READY version, why its last reload
  // failed (it still serves the version loaded before). Empty otherwise.
  std::string reason;
};

struct ModelStatus {
  std::string name;
  std::vector<VersionStatus> versions;
};

class ModelRepository {
 public:
  struct Options {
    std::string root;  // the repository folder
    ModelControlMode control_mode = ModelControlMode::kNone;
    std::vector<std::string> startup_models;  // explicit mode only
    const BackendRegistry* backends = nullptr;  // not owned
    InferenceMetrics* metrics = nullptr;        // not owned; optional
    Clock* clock = nullptr;                     // schedulers' clock; real if null
    // Builds what the server keeps beside each version (its task pipeline),
    // from the version (config, signature) and the model folder, before the
    // instances are created. An error makes the version UNAVAILABLE with
    // that reason; null means nothing to attach. Optional.
    std::function<absl::StatusOr<std::shared_ptr<const ModelAttachment>>(
        const ModelVersion& model, const std::string& model_dir)>
        attach;
    // Follow symbolic links in model folders wherever they lead. Off: a
    // model with a link whose target is outside `root` is UNAVAILABLE.
    bool allow_symlinks_outside_repository = false;
    // GGUF language models served from a file, without a folder or config:
    // name -> path. Each is one version (1) with the default settings,
    // loaded at start in either control mode. With model files, `root` may
    // be empty (no repository folder).
    std::map<std::string, std::string> model_files;
  };

  // InvalidArgument when `root` is not a folder, backends are missing or a
  // startup model name is not a valid model name.
  static absl::StatusOr<std::unique_ptr<ModelRepository>> Create(Options options);
  ~ModelRepository();

  // Loads the startup set: every model folder (mode none) or the startup
  // models (mode explicit). Failures are recorded per model, not returned.
  void LoadStartupModels();

  // (Re)loads a model. InvalidArgument for an invalid name; NotFound when
  // there is no such folder (nothing is recorded then); otherwise the reason
  // the load failed, or OK. Old versions keep serving until the new ones are
  // READY; a failed reload leaves its reason on them. FailedPrecondition in
  // control mode none.
  absl::Status Load(const std::string& name);

  // What one load may replace (Triton's model repository extension):
  // `config_json` is a model config in JSON (Triton's field names) used
  // instead of config.pbtxt; `files` (a path inside the model folder, such
  // as "1/model.pt", to its contents) make up the whole model folder for
  // this load, written to a temporary folder that is removed once loaded
  // (they need `config_json`; the model need not be in the repository).
  // A later load without overrides reads the repository folder again.
  struct LoadOverrides {
    std::optional<std::string> config_json;
    std::map<std::string, std::string> files;
  };
  // As Load(name), with overrides; InvalidArgument naming what is wrong in
  // them (a config that does not parse or validate, a file path outside the
  // folder, files without a config).
  absl::Status Load(const std::string& name, const LoadOverrides& overrides);

  // Refuses new requests for the model, waits for its in-flight requests and
  // releases it. InvalidArgument for an invalid name, NotFound for an
  // unknown model.
  absl::Status Unload(const std::string& name);

  // A READY version: `version` empty picks the highest READY one.
  // InvalidArgument for an invalid name; NotFound for a model or version the
  // repository does not know; Unavailable when not READY, with a message
  // that says "is still loading" while the model's load is queued or runs.
  absl::StatusOr<ModelHandle> Get(const std::string& name,
                                  const std::string& version) const;

  // Every READY version, by model name then version.
  std::vector<ModelHandle> ReadyVersions() const;

  // Every model in the repository folder and every model known from a
  // load, sorted by name.
  std::vector<ModelStatus> Index() const;

  // True once the startup load finished and every model meant to be loaded
  // has all its versions READY.
  bool AllReady() const;
  bool startup_done() const;

  // Drains and releases every model (server shutdown).
  void UnloadAll();

  ModelControlMode control_mode() const { return options_.control_mode; }

 private:
  struct Slot {
    ModelState state = ModelState::kLoading;
    std::string reason;
    std::shared_ptr<ModelVersion> model;  // set when READY
  };
  struct Entry {
    std::map<int64_t, Slot> versions;
    std::string error;        // model-level failure (config, no versions)
    bool requested = false;   // meant to be loaded
    bool loading = false;     // a load is queued (startup) or running
  };

  ModelRepository(Options options, std::filesystem::path canonical_root)
      : options_(std::move(options)), canonical_root_(std::move(canonical_root)) {}

  std::vector<std::string> ScanModelNames() const;
  absl::Status LoadLocked(const std::string& name, const LoadOverrides& overrides)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(control_mu_);
  // `config` replaces DIR/config.pbtxt when set; `own_folder` is a folder
  // the server wrote (file overrides), outside the repository.
  absl::Status LoadFolderLocked(const std::string& name, const std::string& dir,
                                const config::ModelConfig* config = nullptr,
                                bool own_folder = false)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(control_mu_);
  absl::Status LoadFileLocked(const std::string& name)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(control_mu_);
  // Whether `name` has a folder in the repository (a link to one counts) or
  // is one of Options::model_files.
  bool HasFolder(const std::string& name) const;
  absl::StatusOr<std::shared_ptr<ModelVersion>> LoadVersion(
      const std::string& name, int64_t version, const config::ModelConfig& config,
      const std::string& model_dir);
  void SetModelError(const std::string& name, std::string error);

  const Options options_;
  const std::filesystem::path canonical_root_;  // options_.root, links resolved
  absl::Mutex control_mu_;  // serialises load and unload
  mutable absl::Mutex mu_;
  std::map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
  bool startup_done_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace inferd
