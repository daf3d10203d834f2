#pragma once

// Owns the lifecycle of every model in a Triton-style model repository:
// scanning folders, choosing versions by policy, loading them through a
// backend, serving handles to READY versions, and unloading.
//
// Each version moves LOADING -> READY | UNAVAILABLE(reason) -> UNLOADING.
// A broken model never affects the others. A reload loads the new versions
// beside the serving ones and swaps them in when READY; a version it
// replaces is handed to no new request, finishes the requests that hold it
// (up to Options::retire_wait) and is then drained. A new version that fails
// leaves the versions before it serving. Load/Unload/Poll block while models
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
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "backend/backend.h"
#include "common/clock.h"
#include "metrics/inference_metrics.h"
#include "repository/model_folder_stamp.h"
#include "repository/model_version.h"
#include "repository/published_version.h"

namespace inferd {

enum class ModelState { kLoading, kReady, kUnavailable, kUnloading };
std::string_view ModelStateName(ModelState state);  // "READY", ...

// As Triton's: none loads every model at start; explicit loads and unloads
// through the API only; poll loads every model at start and then follows
// the repository folder (Poll), refusing the load and unload API.
enum class ModelControlMode { kNone, kExplicit, kPoll };

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
    Clock* clock = nullptr;  // schedulers' clock and retire_wait's; real if null
    // How long a version that a reload replaced (or whose folder is gone in
    // poll mode) waits for the requests holding it before it is drained
    // anyway; those that then try to queue on it get Unavailable.
    absl::Duration retire_wait = absl::Seconds(30);
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

  // Marks the startup set (every model folder in modes none and poll, the
  // startup models in mode explicit) as LOADING, so requests for them hear
  // "still loading" (503) rather than "unknown model" (404) from the
  // moment the server listens; returns at once. Call before serving, then
  // LoadStartupModels, which does it itself when this was not called.
  void QueueStartupModels();

  // Loads the startup set (queued by QueueStartupModels). Failures are
  // recorded per model, not returned.
  void LoadStartupModels();

  // Poll mode: brings the served models in line with the repository folder.
  // A model folder that is new, or whose config.pbtxt or files changed since
  // its last load (ModelFolderStamp), is loaded again: when only some
  // version folders changed, only those versions load, beside the serving
  // ones; a model whose folder is gone is unloaded once its requests finish.
  // Failures are recorded per model, as a load records them. Returns how
  // many models it loaded, reloaded or unloaded (0 when nothing changed);
  // does nothing in the other modes. Blocks while it loads and drains.
  int Poll();

  // (Re)loads a model. InvalidArgument for an invalid name; NotFound when
  // there is no such folder (nothing is recorded then); otherwise the reason
  // the load failed, or OK. Old versions keep serving until the new ones are
  // READY; a failed reload leaves its reason on them. FailedPrecondition in
  // control modes none and poll.
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
  // unknown model, FailedPrecondition in control modes none and poll.
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
  // has all its versions READY. A version that a reload loads beside the
  // serving ones does not count while it loads, nor if it fails: the model
  // still serves.
  bool AllReady() const;
  bool startup_done() const;

  // Drains and releases every model (server shutdown).
  void UnloadAll();

  ModelControlMode control_mode() const { return options_.control_mode; }

 private:
  struct Slot {
    ModelState state = ModelState::kLoading;
    std::string reason;
    std::shared_ptr<PublishedVersion> model;  // set when READY (and UNLOADING)
    // Loaded while other versions of the model served (see AllReady).
    bool beside_serving = false;
  };
  struct Entry {
    std::map<int64_t, Slot> versions;
    std::string error;        // model-level failure (config, no versions)
    bool requested = false;   // meant to be loaded
    bool loading = false;     // a load is queued (startup) or running
    // Poll mode: the folder as it was when its last load began.
    std::optional<ModelFolderStamp> stamp;
  };
  // Poll mode: a model folder that changed since its last load.
  struct FolderChange {
    ModelFolderStamp stamp;           // as the poll found it
    std::set<int64_t> unchanged;      // versions that need no reload
  };

  ModelRepository(Options options, std::filesystem::path canonical_root)
      : options_(std::move(options)), canonical_root_(std::move(canonical_root)) {}

  std::vector<std::string> ScanModelNames() const;
  // `change`: set by Poll.
  absl::Status LoadLocked(const std::string& name, const LoadOverrides& overrides,
                          const FolderChange* change = nullptr)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(control_mu_);
  // `config` replaces DIR/config.pbtxt when set; `own_folder` is a folder
  // the server wrote (file overrides), outside the repository. Versions in
  // `unchanged` (optional) that are READY or UNAVAILABLE stay as they are.
  absl::Status LoadFolderLocked(const std::string& name, const std::string& dir,
                                const config::ModelConfig* config, bool own_folder,
                                const std::set<int64_t>* unchanged)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(control_mu_);
  absl::Status LoadFileLocked(const std::string& name)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(control_mu_);
  // Whether `name` has a folder in the repository (a link to one counts) or
  // is one of Options::model_files.
  bool HasFolder(const std::string& name) const;
  absl::StatusOr<std::shared_ptr<ModelVersion>> LoadVersion(
      const std::string& name, int64_t version, const config::ModelConfig& config,
      const std::string& model_dir);
  // A GGUF language model (`path`), served by its generation scheduler.
  absl::StatusOr<std::shared_ptr<ModelVersion>> LoadLanguageModel(
      const std::string& name, int64_t version, const config::ModelConfig& config,
      const std::string& model_dir, const std::string& path);
  void SetModelError(const std::string& name, std::string error);
  // Poll mode: unloads a model whose folder is gone, once its requests
  // finish, and forgets it.
  void RemoveLocked(const std::string& name) ABSL_EXCLUSIVE_LOCKS_REQUIRED(control_mu_);
  // Waits (up to Options::retire_wait) for the requests holding each of
  // `retired`, then drains it.
  void Retire(std::vector<std::shared_ptr<PublishedVersion>> retired);

  const Options options_;
  const std::filesystem::path canonical_root_;  // options_.root, links resolved
  absl::Mutex control_mu_;  // serialises load and unload
  mutable absl::Mutex mu_;
  std::map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
  bool startup_done_ ABSL_GUARDED_BY(mu_) = false;
  // The startup set once QueueStartupModels has run.
  std::optional<std::vector<std::string>> startup_names_ ABSL_GUARDED_BY(mu_);
};

}  // namespace inferd
