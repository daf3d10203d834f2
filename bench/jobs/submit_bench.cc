// Durable job submissions per second through SqliteJobStore.
//
// Blocking mode (default): N submitter threads each call Submit() in a
// loop; every call returns only after its job is committed (group commit
// shares the WAL sync between the submitters waiting at that moment).
// Async mode (--async=K): one thread keeps K SubmitAsync() calls in flight,
// as the HTTP handlers do (each answers its 202 from the callback).
// Prints throughput, submit latency and submissions per commit.
//
//   inferd_jobs_bench [--threads=64] [--async=0] [--jobs=50000]
//                     [--sync=full|normal] [--max-batch=1024]
//                     [--body-bytes=200] [--dir=PATH]
//
// --dir defaults to a fresh directory under /tmp, removed afterwards.

#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "jobs/sqlite_job_store.h"

namespace {

bool Flag(const char* arg, const char* name, std::string* value) {
  size_t n = std::strlen(name);
  if (std::strncmp(arg, name, n) != 0 || arg[n] != '=') return false;
  *value = arg + n + 1;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 64;
  int async_inflight = 0;
  int jobs = 50000;
  int max_batch = 1024;
  size_t body_bytes = 200;
  std::string sync = "full";
  std::string dir;
  for (int i = 1; i < argc; ++i) {
    std::string v;
    if (Flag(argv[i], "--threads", &v)) {
      threads = std::max(1, std::atoi(v.c_str()));
    } else if (Flag(argv[i], "--async", &v)) {
      async_inflight = std::max(0, std::atoi(v.c_str()));
    } else if (Flag(argv[i], "--jobs", &v)) {
      jobs = std::max(1, std::atoi(v.c_str()));
    } else if (Flag(argv[i], "--max-batch", &v)) {
      max_batch = std::max(1, std::atoi(v.c_str()));
    } else if (Flag(argv[i], "--body-bytes", &v)) {
      body_bytes = static_cast<size_t>(std::atol(v.c_str()));
    } else if (Flag(argv[i], "--sync", &v)) {
      sync = v;
    } else if (Flag(argv[i], "--dir", &v)) {
      dir = v;
    } else {
      std::fprintf(stderr, "unknown argument %s\n", argv[i]);
      return 2;
    }
  }
  bool remove_dir = false;
  if (dir.empty()) {
    char pattern[] = "/tmp/inferd-jobs-bench-XXXXXX";
    if (mkdtemp(pattern) == nullptr) {
      std::perror("mkdtemp");
      return 1;
    }
    dir = pattern;
    remove_dir = true;
  }

  using inferd::jobs::SqliteJobStore;
  SqliteJobStore::Options options;
  options.data_dir = dir;
  options.synchronous = sync == "normal" ? SqliteJobStore::Synchronous::kNormal
                                         : SqliteJobStore::Synchronous::kFull;
  options.max_batch = max_batch;
  auto opened = SqliteJobStore::Open(options);
  if (!opened.ok()) {
    std::fprintf(stderr, "%s\n", std::string(opened.status().message()).c_str());
    return 1;
  }
  std::unique_ptr<SqliteJobStore> store = std::move(opened).value();

  inferd::jobs::JobSpec spec;
  spec.request.model = "simple";
  spec.request.version = "1";
  spec.request.route = "infer";
  spec.request.input.content_type = "application/json";
  spec.request.input.body = std::string(body_bytes, 'x');

  std::atomic<int> next{0};
  std::atomic<int> errors{0};
  std::vector<std::vector<double>> latencies(threads);
  auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> workers;
  if (async_inflight > 0) {
    threads = 1;
    latencies.assign(1, {});
    latencies[0].resize(jobs);
    absl::Mutex mu;
    int inflight = 0;
    int finished = 0;
    std::pair<int*, int> room{&inflight, async_inflight};
    std::pair<int*, int> all_done{&finished, jobs};
    for (int i = 0; i < jobs; ++i) {
      {
        absl::MutexLock lock(&mu);
        mu.Await(absl::Condition(
            +[](std::pair<int*, int>* p) { return *p->first < p->second; },
            &room));
        ++inflight;
      }
      auto t0 = std::chrono::steady_clock::now();
      store->SubmitAsync(spec, [&, i, t0](auto r) {
        auto t1 = std::chrono::steady_clock::now();
        if (!r.ok()) ++errors;
        latencies[0][i] =
            std::chrono::duration<double, std::micro>(t1 - t0).count();
        absl::MutexLock lock(&mu);
        --inflight;
        ++finished;
      });
    }
    absl::MutexLock lock(&mu);
    mu.Await(absl::Condition(
        +[](std::pair<int*, int>* p) { return *p->first == p->second; },
        &all_done));
  }
  for (int t = 0; t < threads && async_inflight == 0; ++t) {
    workers.emplace_back([&, t] {
      while (next.fetch_add(1) < jobs) {
        auto t0 = std::chrono::steady_clock::now();
        auto r = store->Submit(spec);
        auto t1 = std::chrono::steady_clock::now();
        if (!r.ok()) ++errors;
        latencies[t].push_back(
            std::chrono::duration<double, std::micro>(t1 - t0).count());
      }
    });
  }
  for (auto& w : workers) w.join();
  double seconds = std::chrono::duration<double>(
                       std::chrono::steady_clock::now() - start)
                       .count();
  std::vector<double> all;
  for (auto& v : latencies) all.insert(all.end(), v.begin(), v.end());
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) {
    return all.empty() ? 0.0 : all[std::min(all.size() - 1,
                                            static_cast<size_t>(p * all.size()))];
  };
  SqliteJobStore::WriterStats writer = store->writer_stats();
  std::printf(
      "async=%d threads=%d jobs=%d sync=%s max_batch=%d body=%zuB errors=%d\n"
      "%.0f durable submissions/s (%.2f s); submit latency p50 %.0f us, "
      "p99 %.0f us; %llu commits, %.1f submissions per commit\n",
      async_inflight, threads, jobs, sync.c_str(), max_batch, body_bytes, errors.load(),
      jobs / seconds, seconds, pct(0.50), pct(0.99),
      static_cast<unsigned long long>(writer.commits),
      writer.commits == 0 ? 0.0
                          : static_cast<double>(writer.mutations) /
                                static_cast<double>(writer.commits));
  store.reset();
  if (remove_dir) {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  return errors.load() == 0 ? 0 : 1;
}
