#include "jobs/redis_job_store.h"

#include <algorithm>
#include <charconv>
#include <utility>

#include "absl/synchronization/notification.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "jobs/job_codec.h"
#include "jobs/job_fingerprint.h"
#include "jobs/redis_job_fields.h"
#include "jobs/redis_job_scripts.h"
#include "spdlog/spdlog.h"

namespace inferd::jobs {

using redis::Reply;
using namespace redis_job_fields;  // NOLINT: the store's own helpers

namespace {

constexpr int kMaxListLimit = 1000;
// Documents outlive the result TTL by this much in Redis, as a safety net
// for a deployment whose replicas all stopped; PurgeExpired() removes them
// (and their index entries) at the TTL.
constexpr absl::Duration kExpiryGrace = absl::Hours(1);

bool ParseInt64(std::string_view text, int64_t& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size() && !text.empty();
}

absl::Status JobNotFound(std::string_view id) {
  return absl::NotFoundError(ToAbsl(StrCat("job \"", id, "\" not found")));
}

std::string CountField(JobStatus status, std::string_view model) {
  return StrCat(static_cast<int>(status), "|", model);
}

}  // namespace

// A submission on its way through the pipeline.
struct RedisJobStore::Submission {
  Change change;
  std::string input;        // the request body, stored beside the document
  std::string fingerprint;
  JobSpec original;         // for an idempotent resubmission's check
};

std::string RedisJobStore::Key(std::string_view suffix) const {
  return StrCat(options_.prefix, suffix);
}

std::string RedisJobStore::JobKey(std::string_view id) const {
  return StrCat(options_.prefix, "job:", id);
}

absl::StatusOr<std::unique_ptr<RedisJobStore>> RedisJobStore::Open(Options options) {
  if (options.client == nullptr) return absl::InvalidArgumentError("job store: no redis client");
  if (options.max_attempts < 1) {
    return absl::InvalidArgumentError("job store: max_attempts must be >= 1");
  }
  INFERD_RETURN_IF_ERROR(options.retry.Validate());
  if (options.result_ttl <= absl::ZeroDuration() || options.lease <= absl::ZeroDuration() ||
      options.promotion_age <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "job store: result_ttl, lease and promotion_age must be > 0");
  }
  if (options.replica.empty()) options.replica = "inferd";
  if (options.clock == nullptr) options.clock = RealClock::Get();
  std::unique_ptr<RedisJobStore> store(new RedisJobStore(std::move(options)));
  if (store->options_.events != nullptr && store->options_.subscribe) {
    RedisJobStore* self = store.get();
    store->subscriber_ = std::make_unique<redis::RedisSubscriber>(
        store->options_.client, store->Key("events"),
        [self](const std::string& message) { self->OnRemoteEvent(message); });
    store->subscriber_->Start();
  }
  return store;
}

RedisJobStore::RedisJobStore(Options options)
    : options_(std::move(options)),
      clock_(options_.clock),
      origin_(NewJobId()),
      commit_script_(internal::kCommitScript),
      claim_script_(internal::kClaimScript),
      pipeline_(std::make_unique<redis::RedisAutoPipeline>(options_.client)) {}

RedisJobStore::~RedisJobStore() {
  if (subscriber_) subscriber_->Stop();
  pipeline_.reset();  // finishes queued submissions and reads
}

// ---- loading and committing ---------------------------------------------------

std::vector<std::string> RedisJobStore::LoadCommand(std::string_view id, bool with_input) const {
  std::vector<std::string> args = {"HMGET", JobKey(id), "doc", "rev", "entry"};
  if (with_input) args.push_back("input");
  return args;
}

absl::StatusOr<RedisJobStore::Loaded> RedisJobStore::Load(std::string_view id, bool with_input) {
  return FromReply(id, options_.client->Command(LoadCommand(id, with_input)), with_input);
}

absl::StatusOr<RedisJobStore::Loaded> RedisJobStore::FromReply(std::string_view id,
                                                               absl::StatusOr<Reply> reply,
                                                               bool with_input) {
  if (!reply.ok()) return reply.status();
  if (!reply->is_array() || reply->elements.size() != (with_input ? 4u : 3u)) {
    return JobNotFound(id);
  }
  return Parse(id, reply->elements.data(), with_input);
}

// The fields {doc, rev, entry[, input]} at `fields` (as HMGET answers them).
absl::StatusOr<RedisJobStore::Loaded> RedisJobStore::Parse(std::string_view id,
                                                           const Reply* fields,
                                                           bool with_input) {
  if (fields[0].is_nil()) return JobNotFound(id);
  Loaded loaded;
  absl::StatusOr<Job> job = DecodeJob(fields[0].str);
  if (!job.ok()) {
    return absl::DataLossError(
        ToAbsl(StrCat("job \"", id, "\" in redis: ", job.status().message())));
  }
  loaded.job = *std::move(job);
  loaded.rev = fields[1].text();
  loaded.entry = fields[2].text();
  if (with_input) loaded.job.request.input.body = fields[3].str;
  return loaded;
}

absl::StatusOr<bool> RedisJobStore::Commit(const Loaded& loaded, Change& change) {
  Script script = CommitScript(loaded, change);
  INFERD_ASSIGN_OR_RETURN(
      Reply reply, commit_script_.Run(*options_.client, script.keys, std::move(script.args)));
  return Committed(reply, change);
}

RedisJobStore::Script RedisJobStore::CommitScript(const Loaded& loaded, Change& change) {
  Job& job = change.job;
  const std::string job_key = JobKey(job.id);
  std::vector<std::vector<std::string>> commands = std::move(change.commands);
  change.commands.clear();
  if (change.publish) ++job.revision;
  int64_t rev = 0;
  ParseInt64(loaded.rev, rev);
  change.rev_after = std::to_string(rev + 1);
  if (change.remove) {
    commands.push_back({"DEL", job_key});
  } else {
    std::vector<std::string> hset = {"HSET", job_key, "doc", EncodeJob(job),
                                     "rev", change.rev_after};
    if (change.clear_entry) hset.insert(hset.end(), {"entry", ""});
    if (!change.from.has_value()) {
      hset.insert(hset.end(), {"created", Us(job.created), "input",
                               change.input != nullptr ? *change.input : std::string()});
    }
    commands.insert(commands.begin(), std::move(hset));
  }
  // Gauges: one job moves between (status, model) counters.
  const std::optional<JobStatus> to =
      change.remove ? std::nullopt : std::optional<JobStatus>(job.status);
  if (change.from != to) {
    if (change.from.has_value()) {
      commands.push_back({"HINCRBY", Key("counts"), CountField(*change.from, job.request.model), "-1"});
    }
    if (to.has_value()) {
      commands.push_back({"HINCRBY", Key("counts"), CountField(*to, job.request.model), "1"});
    }
  }
  if (change.publish && !change.remove) {
    commands.push_back({"PUBLISH", Key("events"),
                        StrCat(origin_, "|", static_cast<int>(job.status), "|", job.revision, "|",
                               job.id)});
  }
  const std::string stream =
      change.enqueue.has_value() ? Key(StrCat("q:", *change.enqueue)) : job_key;
  Script script;
  script.keys = {
      job_key, stream,
      change.claim_idempotency_key ? Key(StrCat("idem:", job.idempotency_key)) : job_key};
  std::vector<std::string>& args = script.args;
  args = {
      loaded.rev,
      change.enqueue.has_value() ? std::to_string(*change.enqueue) : std::string(),
      job.id, change.claim_idempotency_key ? "1" : "", std::to_string(commands.size())};
  for (std::vector<std::string>& command : commands) {
    args.push_back(std::to_string(command.size()));
    for (std::string& a : command) args.push_back(std::move(a));
  }
  return script;
}

absl::StatusOr<bool> RedisJobStore::Committed(const Reply& reply, Change& change) {
  const Job& job = change.job;
  if (!reply.is_array() || reply.elements.empty()) {
    return absl::InternalError("redis: unexpected reply to the job commit script");
  }
  if (reply.elements[0].integer == 2) {
    change.held_by = reply.elements.size() > 1 ? reply.elements[1].str : "";
    return false;
  }
  if (reply.elements[0].integer != 1) return false;
  if (change.publish && !change.remove) PublishLocally(job);
  return true;
}

void RedisJobStore::PublishLocally(const Job& job) {
  if (options_.events == nullptr || !options_.events->HasSubscribers(job.id)) return;
  auto snapshot = std::make_shared<Job>(job);
  snapshot->request.input.body.clear();
  options_.events->Publish(JobEvent{job.id, job.status, job.revision, std::move(snapshot)});
}

void RedisJobStore::OnRemoteEvent(const std::string& message) {
  // "<origin>|<status>|<revision>|<id>"
  std::vector<std::string_view> parts;
  std::string_view rest = message;
  for (int i = 0; i < 3; ++i) {
    size_t bar = rest.find('|');
    if (bar == std::string_view::npos) return;
    parts.push_back(rest.substr(0, bar));
    rest.remove_prefix(bar + 1);
  }
  if (parts[0] == origin_) return;  // published locally already
  int64_t status = 0, revision = 0;
  if (!ParseInt64(parts[1], status) || !ParseInt64(parts[2], revision) || status < 0 ||
      status >= kJobStatusCount || !IsValidJobId(rest)) {
    return;
  }
  JobEvent event{std::string(rest), static_cast<JobStatus>(status), revision, nullptr};
  if (options_.events->HasJobSubscribers(event.job_id)) {
    // Somebody streams this job's events here: send its document.
    absl::StatusOr<Loaded> loaded = Load(event.job_id, /*with_input=*/false);
    if (!loaded.ok()) return;
    event.status = loaded->job.status;
    event.revision = loaded->job.revision;
    event.job = std::make_shared<Job>(std::move(loaded->job));
    options_.events->Publish(event);
    return;
  }
  options_.events->PublishWake(event);
}

// ---- submissions -----------------------------------------------------------------

void RedisJobStore::SubmitAsync(JobSpec spec, SubmitCallback done) {
  if (spec.request.model.empty() || spec.request.route.empty()) {
    return done(absl::InvalidArgumentError("job: model and route are required"));
  }
  if (spec.max_attempts < 0) {
    return done(absl::InvalidArgumentError("job: max_attempts must be >= 0"));
  }
  const int max_attempts = spec.max_attempts > 0 ? spec.max_attempts : options_.max_attempts;
  auto submission = std::make_shared<Submission>();
  submission->fingerprint = JobFingerprint(spec);
  if (!spec.idempotency_key.empty()) submission->original = spec;
  submission->input = std::move(spec.request.input.body);
  Change& change = submission->change;
  change.job = NewJob(std::move(spec), submission->fingerprint, max_attempts, clock_->Now());
  change.input = &submission->input;
  change.enqueue = static_cast<int>(change.job.priority);
  change.claim_idempotency_key = !change.job.idempotency_key.empty();
  change.commands.push_back({"ZADD", Key("all"), Us(change.job.created), change.job.id});
  Script script = CommitScript(Loaded{}, change);
  commit_script_.RunAsync(
      *pipeline_, script.keys, std::move(script.args),
      [this, submission, done = std::move(done)](absl::StatusOr<Reply> reply) mutable {
        Submitted(std::move(submission), std::move(reply), std::move(done));
      });
}

void RedisJobStore::Submitted(std::shared_ptr<Submission> submission,
                              absl::StatusOr<Reply> reply, SubmitCallback done) {
  Change& change = submission->change;
  absl::StatusOr<bool> committed =
      reply.ok() ? Committed(*reply, change) : absl::StatusOr<bool>(reply.status());
  if (!committed.ok()) return done(committed.status());
  if (*committed) {
    SubmitResult result;
    result.job = std::move(change.job);
    result.job.request.input.body = std::move(submission->input);
    return done(std::move(result));
  }
  if (change.held_by.empty()) return done(absl::InternalError("job id collision in redis"));
  // The key is held: the same request gets its job back.
  const std::string held_by = change.held_by;
  pipeline_->Send(LoadCommand(held_by, /*with_input=*/true),
                  [submission, held_by, done = std::move(done)](absl::StatusOr<Reply> reply) {
                    absl::StatusOr<Loaded> existing =
                        FromReply(held_by, std::move(reply), /*with_input=*/true);
                    if (!existing.ok()) return done(existing.status());
                    absl::Status same = CheckIdempotentResubmission(
                        existing->job, submission->original, submission->fingerprint);
                    if (!same.ok()) return done(same);
                    done(SubmitResult{std::move(existing->job), /*created=*/false});
                  });
}

// ---- reads ------------------------------------------------------------------------

absl::StatusOr<Job> RedisJobStore::Get(std::string_view id) {
  if (!IsValidJobId(id)) return JobNotFound(id);
  INFERD_ASSIGN_OR_RETURN(Loaded loaded, Load(id, /*with_input=*/true));
  return std::move(loaded.job);
}

void RedisJobStore::GetAsync(std::string_view id, GetCallback done) {
  if (!IsValidJobId(id)) return done(JobNotFound(id));
  pipeline_->Send(LoadCommand(id, /*with_input=*/true),
                  [id = std::string(id), done = std::move(done)](absl::StatusOr<Reply> reply) {
                    absl::StatusOr<Loaded> loaded =
                        FromReply(id, std::move(reply), /*with_input=*/true);
                    if (!loaded.ok()) return done(loaded.status());
                    done(std::move(loaded->job));
                  });
}

absl::StatusOr<ListPage> RedisJobStore::List(const ListQuery& query) {
  if (query.limit < 1 || query.limit > kMaxListLimit) {
    return absl::InvalidArgumentError(ToAbsl(
        StrCat("limit must be between 1 and ", kMaxListLimit, ", got ", query.limit)));
  }
  int64_t cursor_created = 0;
  std::string cursor_id;
  bool has_cursor = !query.cursor.empty();
  if (has_cursor) {
    size_t dot = query.cursor.find('.');
    if (dot == std::string::npos ||
        !ParseInt64(std::string_view(query.cursor).substr(0, dot), cursor_created) ||
        !IsValidJobId(std::string_view(query.cursor).substr(dot + 1))) {
      return absl::InvalidArgumentError(
          ToAbsl(StrCat("cursor \"", query.cursor, "\" is not a valid cursor")));
    }
    cursor_id = query.cursor.substr(dot + 1);
  }
  // Walks the creation index newest first, filtering on the documents.
  ListPage page;
  std::string max = has_cursor ? std::to_string(cursor_created) : "+inf";
  int64_t offset = 0;
  while (static_cast<int>(page.jobs.size()) <= query.limit) {
    INFERD_ASSIGN_OR_RETURN(
        Reply ids, options_.client->Command({"ZREVRANGEBYSCORE", Key("all"), max, "-inf",
                                             "WITHSCORES", "LIMIT", std::to_string(offset),
                                             std::to_string(kBatch)}));
    if (ids.elements.empty()) break;
    offset += static_cast<int64_t>(ids.elements.size() / 2);
    std::vector<std::vector<std::string>> gets;
    for (size_t i = 0; i + 1 < ids.elements.size(); i += 2) {
      const std::string& id = ids.elements[i].str;
      int64_t created = 0;
      ParseInt64(ids.elements[i + 1].str, created);
      if (has_cursor && created == cursor_created && id >= cursor_id) continue;
      std::vector<std::string> get = {"HMGET", JobKey(id), "doc"};
      if (query.include_bodies) get.push_back("input");
      gets.push_back(std::move(get));
    }
    if (gets.empty()) continue;
    INFERD_ASSIGN_OR_RETURN(std::vector<Reply> docs, options_.client->Pipeline(gets));
    for (Reply& doc : docs) {
      if (!doc.is_array() || doc.elements.empty() || doc.elements[0].is_nil()) continue;
      absl::StatusOr<Job> job = DecodeJob(doc.elements[0].str);
      if (!job.ok()) continue;
      if (query.status.has_value() && job->status != *query.status) continue;
      if (!query.model.empty() && job->request.model != query.model) continue;
      if (!query.owner.empty() && job->owner != query.owner) continue;
      if (query.include_bodies && doc.elements.size() > 1) {
        job->request.input.body = doc.elements[1].str;
      } else if (!query.include_bodies && job->result.has_value()) {
        job->result->body.clear();
      }
      page.jobs.push_back(*std::move(job));
      if (static_cast<int>(page.jobs.size()) > query.limit) break;
    }
  }
  if (static_cast<int>(page.jobs.size()) > query.limit) {
    page.jobs.resize(query.limit);
    const Job& last = page.jobs.back();
    page.next_cursor = StrCat(absl::ToUnixMicros(last.created), ".", last.id);
  }
  return page;
}

absl::StatusOr<std::vector<Job>> RedisJobStore::DueWebhooks(int limit) {
  INFERD_ASSIGN_OR_RETURN(
      Reply ids, options_.client->Command({"ZRANGEBYSCORE", Key("webhooks"), "-inf",
                                           Us(clock_->Now()), "LIMIT", "0",
                                           std::to_string(std::max(1, limit))}));
  std::vector<Job> jobs;
  for (const Reply& id : ids.elements) {
    absl::StatusOr<Loaded> loaded = Load(id.str, /*with_input=*/false);
    if (!loaded.ok()) continue;
    if (loaded->job.webhook.status == WebhookStatus::kPending) {
      jobs.push_back(std::move(loaded->job));
    }
  }
  return jobs;
}

absl::StatusOr<JobCounts> RedisJobStore::Counts() {
  JobCounts counts;
  INFERD_ASSIGN_OR_RETURN(Reply all, options_.client->Command({"HGETALL", Key("counts")}));
  for (size_t i = 0; i + 1 < all.elements.size(); i += 2) {
    const std::string& field = all.elements[i].str;
    int64_t n = 0;
    size_t bar = field.find('|');
    if (bar != 1 || !ParseInt64(all.elements[i + 1].str, n) || n <= 0) continue;
    int status = field[0] - '0';
    if (status < 0 || status >= kJobStatusCount) continue;
    counts.by_model_status[{field.substr(2), static_cast<JobStatus>(status)}] = n;
    counts.by_status[status] += n;
  }
  // The oldest queued job: the first undelivered entry of each stream.
  std::vector<std::vector<std::string>> infos;
  for (int p = 0; p < kJobPriorityCount; ++p) infos.push_back({"XINFO", "GROUPS", Key(StrCat("q:", p))});
  INFERD_ASSIGN_OR_RETURN(std::vector<Reply> groups, options_.client->Pipeline(infos));
  for (int p = 0; p < kJobPriorityCount; ++p) {
    std::string last;
    for (const Reply& g : groups[p].elements) {
      if (Field(g, "name") == kGroup) last = Field(g, "last-delivered-id");
    }
    if (last.empty()) continue;
    absl::StatusOr<Reply> next = options_.client->Command(
        {"XRANGE", Key(StrCat("q:", p)), StrCat("(", last), "+", "COUNT", "1"});
    if (!next.ok() || next->elements.empty() || next->elements[0].elements.size() < 2) continue;
    int64_t created = 0;
    if (ParseInt64(Field(next->elements[0].elements[1], "c"), created)) {
      counts.oldest_queued = std::min(counts.oldest_queued, absl::FromUnixMicros(created));
    }
  }
  return counts;
}

// ---- state changes ---------------------------------------------------------------

absl::StatusOr<CancelResult> RedisJobStore::Cancel(std::string_view id) {
  if (!IsValidJobId(id)) return JobNotFound(id);
  for (int race = 0; race < kMaxRaces; ++race) {
    INFERD_ASSIGN_OR_RETURN(Loaded loaded, Load(id, /*with_input=*/false));
    Change change;
    change.job = loaded.job;
    change.from = loaded.job.status;
    bool changed = false;
    CancelResult result;
    result.outcome = ApplyCancel(change.job, clock_->Now(), changed);
    if (!changed) {
      result.job = std::move(loaded.job);
      return result;
    }
    if (result.outcome == CancelOutcome::kCancelled) {
      // Out of the queue: its stream entry (or its retry) goes.
      int p = 0;
      std::string eid;
      if (SplitEntry(loaded.entry, p, eid)) {
        change.commands.push_back({"XACK", Key(StrCat("q:", p)), kGroup, eid});
        change.commands.push_back({"XDEL", Key(StrCat("q:", p)), eid});
      }
      change.commands.push_back(
          {"ZREM", Key("delayed"), StrCat(static_cast<int>(change.job.priority), "|", change.job.id)});
      change.clear_entry = true;
      change.commands.push_back({"ZADD", Key("finished"), Us(change.job.finished), change.job.id});
      if (change.job.webhook.status == WebhookStatus::kPending) {
        change.commands.push_back(
            {"ZADD", Key("webhooks"), Us(change.job.webhook.next_attempt), change.job.id});
      }
      change.commands.push_back({"PEXPIRE", JobKey(id),
                                 std::to_string(absl::ToInt64Milliseconds(
                                     options_.result_ttl + kExpiryGrace))});
    }
    INFERD_ASSIGN_OR_RETURN(bool committed, Commit(loaded, change));
    if (committed) {
      result.job = std::move(change.job);
      return result;
    }
  }
  return absl::AbortedError(ToAbsl(StrCat("job \"", id, "\": too many concurrent changes")));
}

absl::StatusOr<std::optional<Job>> RedisJobStore::ClaimNext(std::string_view worker) {
  for (int tries = 0; tries < kMaxRaces; ++tries) {
    const absl::Time now = clock_->Now();
    INFERD_ASSIGN_OR_RETURN(
        Reply claimed,
        claim_script_.Run(
            *options_.client, {Key("delayed"), Key("q:0"), Key("q:1"), Key("q:2")},
            {Us(now), std::to_string(absl::ToInt64Microseconds(options_.promotion_age)),
             kGroup, options_.replica, Key("job:"),
             groups_made_.load(std::memory_order_relaxed) ? "" : "1"}));
    groups_made_.store(true, std::memory_order_relaxed);
    if (!claimed.is_array() || claimed.elements.size() != 7) return std::nullopt;
    const int p = static_cast<int>(claimed.elements[0].integer);
    const std::string eid = claimed.elements[1].str;
    const std::string id = claimed.elements[2].str;
    const std::string stream = Key(StrCat("q:", p));
    const std::string this_entry = StrCat(p, "|", eid);
    for (int race = 0; race < kMaxRaces; ++race) {
      // The claim read the job's fields; a lost race reads them again.
      absl::StatusOr<Loaded> loaded = race == 0
                                          ? Parse(id, &claimed.elements[3], /*with_input=*/true)
                                          : Load(id, /*with_input=*/true);
      if (!loaded.ok() && !absl::IsNotFound(loaded.status())) return loaded.status();
      if (!loaded.ok() || loaded->job.status != JobStatus::kQueued ||
          loaded->entry != this_entry) {
        // Cancelled, purged or requeued under another entry meanwhile.
        INFERD_RETURN_IF_ERROR(options_.client->Pipeline({{"XACK", stream, kGroup, eid},
                                                          {"XDEL", stream, eid}})
                                   .status());
        break;
      }
      Change change;
      change.job = loaded->job;
      change.from = JobStatus::kQueued;
      ApplyClaim(change.job, clock_->Now(), options_.lease, worker);
      change.job.request.input.body.clear();  // stored beside the document
      change.commands.push_back(
          {"ZADD", Key("leases"), Us(change.job.lease_expires), change.job.id});
      INFERD_ASSIGN_OR_RETURN(bool committed, Commit(*loaded, change));
      if (committed) {
        Remember(change, loaded->entry);
        change.job.request.input.body = std::move(loaded->job.request.input.body);
        return std::optional<Job>(std::move(change.job));
      }
    }
  }
  return std::nullopt;
}

absl::Status RedisJobStore::RenewLease(std::string_view id, int attempt) {
  for (int race = 0; race < kMaxRaces; ++race) {
    INFERD_ASSIGN_OR_RETURN(Loaded loaded, Load(id, /*with_input=*/false));
    INFERD_RETURN_IF_ERROR(CheckRunningAttempt(loaded.job, attempt));
    Change change;
    change.job = loaded.job;
    change.from = loaded.job.status;
    change.publish = false;
    change.job.lease_expires = clock_->Now() + options_.lease;
    change.commands.push_back({"ZADD", Key("leases"), Us(change.job.lease_expires), change.job.id});
    INFERD_ASSIGN_OR_RETURN(bool committed, Commit(loaded, change));
    if (committed) {
      Remember(change, loaded.entry);
      return absl::OkStatus();
    }
  }
  return absl::AbortedError(ToAbsl(StrCat("job \"", id, "\": too many concurrent changes")));
}

void RedisJobStore::Remember(const Change& change, const std::string& entry) {
  absl::MutexLock lock(&running_mu_);
  running_[change.job.id] = Loaded{change.job, change.rev_after, entry};
}

absl::StatusOr<Job> RedisJobStore::Finish(std::string_view id, int attempt,
                                          const JobOutcome& outcome) {
  // First against the job as this replica's claim left it; a change made
  // since (a cancel request, a requeue elsewhere) makes that commit miss,
  // and the next rounds read the job.
  std::optional<Loaded> remembered;
  {
    absl::MutexLock lock(&running_mu_);
    if (auto it = running_.find(ToAbsl(id)); it != running_.end()) {
      remembered = std::move(it->second);
      running_.erase(it);
    }
  }
  for (int race = 0; race < kMaxRaces; ++race) {
    Loaded loaded;
    if (race == 0 && remembered.has_value() &&
        CheckRunningAttempt(remembered->job, attempt).ok()) {
      loaded = *std::move(remembered);
    } else {
      INFERD_ASSIGN_OR_RETURN(loaded, Load(id, /*with_input=*/false));
    }
    INFERD_RETURN_IF_ERROR(CheckRunningAttempt(loaded.job, attempt));
    Change change;
    change.job = loaded.job;
    change.from = JobStatus::kRunning;
    const absl::Time now = clock_->Now();
    ApplyFinish(change.job, outcome, now, options_.retry);
    const Job& job = change.job;
    int p = 0;
    std::string eid;
    if (SplitEntry(loaded.entry, p, eid)) {
      change.commands.push_back({"XACK", Key(StrCat("q:", p)), kGroup, eid});
      change.commands.push_back({"XDEL", Key(StrCat("q:", p)), eid});
    }
    change.clear_entry = true;
    change.commands.push_back({"ZREM", Key("leases"), job.id});
    if (job.status == JobStatus::kQueued) {
      change.commands.push_back({"ZADD", Key("delayed"), Us(job.not_before),
                                 StrCat(static_cast<int>(job.priority), "|", job.id)});
    } else {
      change.commands.push_back({"ZADD", Key("finished"), Us(job.finished), job.id});
      const std::string ttl_ms =
          std::to_string(absl::ToInt64Milliseconds(options_.result_ttl + kExpiryGrace));
      change.commands.push_back({"PEXPIRE", JobKey(id), ttl_ms});
      if (!job.idempotency_key.empty()) {
        change.commands.push_back({"PEXPIRE", Key(StrCat("idem:", job.idempotency_key)), ttl_ms});
      }
      if (job.webhook.status == WebhookStatus::kPending) {
        change.commands.push_back({"ZADD", Key("webhooks"), Us(job.webhook.next_attempt), job.id});
      }
    }
    INFERD_ASSIGN_OR_RETURN(bool committed, Commit(loaded, change));
    if (committed) return std::move(change.job);
  }
  return absl::AbortedError(ToAbsl(StrCat("job \"", id, "\": too many concurrent changes")));
}

absl::Status RedisJobStore::RecordWebhookAttempt(std::string_view id,
                                                 const absl::Status& delivery,
                                                 absl::Time next_attempt) {
  for (int race = 0; race < kMaxRaces; ++race) {
    INFERD_ASSIGN_OR_RETURN(Loaded loaded, Load(id, /*with_input=*/false));
    Change change;
    change.job = loaded.job;
    change.from = loaded.job.status;
    change.publish = false;
    ApplyWebhookAttempt(change.job, delivery, next_attempt);
    if (change.job.webhook.status == WebhookStatus::kPending) {
      change.commands.push_back(
          {"ZADD", Key("webhooks"), Us(change.job.webhook.next_attempt), change.job.id});
    } else {
      change.commands.push_back({"ZREM", Key("webhooks"), change.job.id});
    }
    INFERD_ASSIGN_OR_RETURN(bool committed, Commit(loaded, change));
    if (committed) return absl::OkStatus();
  }
  return absl::AbortedError(ToAbsl(StrCat("job \"", id, "\": too many concurrent changes")));
}

}  // namespace inferd::jobs
