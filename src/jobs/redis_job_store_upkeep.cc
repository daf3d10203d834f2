// RedisJobStore's upkeep: jobs taken back from a replica that stopped
// (its own after a restart, anyone's once the lease has run out, stream
// entries claimed with XAUTOCLAIM) and documents purged past their TTL.
// The rest of the store is in redis_job_store.cc.

#include <utility>

#include "common/status_macros.h"
#include "common/strings.h"
#include "jobs/job_transitions.h"
#include "jobs/redis_job_fields.h"
#include "jobs/redis_job_store.h"
#include "spdlog/spdlog.h"

namespace inferd::jobs {

using redis::Reply;
using namespace redis_job_fields;  // NOLINT: the store's own helpers

absl::StatusOr<int> RedisJobStore::Requeue(const std::vector<std::string>& ids,
                                           std::string_view reason, bool only_expired) {
  int count = 0;
  for (const std::string& id : ids) {
    for (int race = 0; race < kMaxRaces; ++race) {
      absl::StatusOr<Loaded> loaded = Load(id, /*with_input=*/false);
      const absl::Time now = clock_->Now();
      if (!loaded.ok() || loaded->job.status != JobStatus::kRunning ||
          (only_expired && loaded->job.lease_expires > now)) {
        if (!loaded.ok() && !absl::IsNotFound(loaded.status())) return loaded.status();
        if (!loaded.ok() || loaded->job.status != JobStatus::kRunning) {
          INFERD_RETURN_IF_ERROR(
              options_.client->Command({"ZREM", Key("leases"), id}).status());
        }
        break;
      }
      Change change;
      change.job = loaded->job;
      change.from = JobStatus::kRunning;
      ApplyRequeue(change.job, now, reason);
      int p = 0;
      std::string eid;
      if (SplitEntry(loaded->entry, p, eid)) {
        change.commands.push_back({"XACK", Key(StrCat("q:", p)), kGroup, eid});
        change.commands.push_back({"XDEL", Key(StrCat("q:", p)), eid});
      }
      change.commands.push_back({"ZREM", Key("leases"), id});
      change.enqueue = static_cast<int>(change.job.priority);
      INFERD_ASSIGN_OR_RETURN(bool committed, Commit(*loaded, change));
      if (committed) {
        ++count;
        break;
      }
    }
  }
  return count;
}

absl::StatusOr<int> RedisJobStore::RecoverAfterCrash() {
  // Only this replica's own jobs: the others' are running on live replicas
  // (theirs come back through their leases if they are not).
  INFERD_ASSIGN_OR_RETURN(Reply all,
                          options_.client->Command({"ZRANGE", Key("leases"), "0", "-1"}));
  std::vector<std::string> mine;
  const std::string prefix = StrCat(options_.replica, "-");
  for (const Reply& id : all.elements) {
    absl::StatusOr<Loaded> loaded = Load(id.str, /*with_input=*/false);
    if (loaded.ok() && loaded->job.worker.compare(0, prefix.size(), prefix) == 0) {
      mine.push_back(id.str);
    }
  }
  return Requeue(mine, kInterruptedByRestart, /*only_expired=*/false);
}

absl::StatusOr<int> RedisJobStore::RequeueExpiredLeases() {
  INFERD_ASSIGN_OR_RETURN(int stale, AutoclaimStale());
  (void)stale;
  int total = 0;
  while (true) {
    INFERD_ASSIGN_OR_RETURN(
        Reply ids, options_.client->Command({"ZRANGEBYSCORE", Key("leases"), "-inf",
                                             Us(clock_->Now()), "LIMIT", "0",
                                             std::to_string(kBatch)}));
    std::vector<std::string> expired;
    for (const Reply& id : ids.elements) expired.push_back(id.str);
    INFERD_ASSIGN_OR_RETURN(int n, Requeue(expired, kInterruptedByLease, /*only_expired=*/true));
    total += n;
    if (static_cast<int>(expired.size()) < kBatch || n == 0) return total;
  }
}

absl::StatusOr<int> RedisJobStore::AutoclaimStale() {
  // Entries delivered to a consumer that died before it recorded the claim
  // (the job is still queued under that entry): put them back in line.
  int count = 0;
  const std::string min_idle = std::to_string(absl::ToInt64Milliseconds(options_.lease));
  for (int p = 0; p < kJobPriorityCount; ++p) {
    const std::string stream = Key(StrCat("q:", p));
    absl::StatusOr<Reply> reply = options_.client->Command(
        {"XAUTOCLAIM", stream, kGroup, options_.replica, min_idle, "0-0", "COUNT", "100"});
    if (!reply.ok()) {
      if (absl::IsInternal(reply.status())) continue;  // NOGROUP: nothing yet
      return reply.status();
    }
    if (!reply->is_array() || reply->elements.size() < 2) continue;
    for (const Reply& entry : reply->elements[1].elements) {
      if (entry.elements.size() < 2) continue;
      const std::string& eid = entry.elements[0].str;
      const std::string id = Field(entry.elements[1], "id");
      autoclaimed_.fetch_add(1, std::memory_order_relaxed);
      absl::StatusOr<Loaded> loaded = Load(id, /*with_input=*/false);
      if (loaded.ok() && loaded->job.status == JobStatus::kQueued &&
          loaded->entry == StrCat(p, "|", eid)) {
        Change change;
        change.job = loaded->job;
        change.from = JobStatus::kQueued;
        change.publish = false;
        change.commands.push_back({"XACK", stream, kGroup, eid});
        change.commands.push_back({"XDEL", stream, eid});
        change.enqueue = p;
        INFERD_ASSIGN_OR_RETURN(bool committed, Commit(*loaded, change));
        if (committed) ++count;
        continue;
      }
      // Running jobs come back through their lease; final or gone ones
      // only need the entry dropped.
      if (!loaded.ok() || loaded->entry != StrCat(p, "|", eid)) {
        INFERD_RETURN_IF_ERROR(
            options_.client->Pipeline({{"XACK", stream, kGroup, eid}, {"XDEL", stream, eid}})
                .status());
      }
    }
  }
  return count;
}

absl::StatusOr<int> RedisJobStore::PurgeExpired() {
  int total = 0;
  while (true) {
    const absl::Time cutoff = clock_->Now() - options_.result_ttl;
    INFERD_ASSIGN_OR_RETURN(
        Reply ids, options_.client->Command({"ZRANGEBYSCORE", Key("finished"), "-inf",
                                             StrCat("(", Us(cutoff)), "LIMIT", "0",
                                             std::to_string(kBatch)}));
    int purged = 0;
    for (const Reply& id : ids.elements) {
      std::vector<std::vector<std::string>> unindex = {{"ZREM", Key("finished"), id.str},
                                                       {"ZREM", Key("all"), id.str},
                                                       {"ZREM", Key("webhooks"), id.str}};
      absl::StatusOr<Loaded> loaded = Load(id.str, /*with_input=*/false);
      if (!loaded.ok()) {
        if (!absl::IsNotFound(loaded.status()) && !absl::IsDataLoss(loaded.status())) {
          return loaded.status();
        }
        INFERD_RETURN_IF_ERROR(options_.client->Pipeline(unindex).status());
        ++purged;
        continue;
      }
      if (!IsFinal(loaded->job.status) || loaded->job.finished >= cutoff) continue;
      Change change;
      change.job = loaded->job;
      change.from = loaded->job.status;
      change.remove = true;
      change.publish = false;
      change.commands = std::move(unindex);
      if (!change.job.idempotency_key.empty()) {
        change.commands.push_back({"DEL", Key(StrCat("idem:", change.job.idempotency_key))});
      }
      INFERD_ASSIGN_OR_RETURN(bool committed, Commit(*loaded, change));
      if (committed) ++purged;
    }
    total += purged;
    if (static_cast<int>(ids.elements.size()) < kBatch || purged == 0) return total;
  }
}

}  // namespace inferd::jobs
