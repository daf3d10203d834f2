#include "tools/bench/load_generator.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <exception>
#include <optional>
#include <random>
#include <thread>
#include <utility>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "boost/asio/co_spawn.hpp"
#include "boost/asio/io_context.hpp"
#include "boost/asio/steady_timer.hpp"
#include "boost/asio/use_awaitable.hpp"
#include "common/strings.h"
#include "tools/bench/http_load_client.h"

namespace inferd::bench {
namespace {

namespace asio = boost::asio;
using SteadyClock = std::chrono::steady_clock;
using TimePoint = SteadyClock::time_point;

// After a refused connection a worker waits this long before trying again,
// so a server that went away yields a countable number of errors instead of
// a busy loop.
constexpr auto kConnectBackoff = std::chrono::milliseconds(20);

SteadyClock::duration ToSteady(absl::Duration d) {
  return std::chrono::duration_cast<SteadyClock::duration>(
      absl::ToChronoNanoseconds(d));
}

// The open-loop schedule: due times in order, handed to whichever worker is
// free. Thread-safe.
class ArrivalSchedule {
 public:
  ArrivalSchedule(TimePoint start, double rate, bool poisson, uint64_t seed)
      : start_(start), rate_(rate), poisson_(poisson), rng_(seed) {}

  TimePoint Next() {
    absl::MutexLock lock(&mu_);
    double offset_seconds;
    if (poisson_) {
      offset_seconds = poisson_offset_;
      poisson_offset_ += std::exponential_distribution<double>(rate_)(rng_);
    } else {
      // From the index, not by adding gaps, so rounding never drifts.
      offset_seconds = static_cast<double>(index_) / rate_;
    }
    ++index_;
    return start_ + std::chrono::duration_cast<SteadyClock::duration>(
                        std::chrono::duration<double>(offset_seconds));
  }

 private:
  absl::Mutex mu_;
  const TimePoint start_;
  const double rate_;
  const bool poisson_;
  std::mt19937_64 rng_ ABSL_GUARDED_BY(mu_);
  int64_t index_ ABSL_GUARDED_BY(mu_) = 0;
  double poisson_offset_ ABSL_GUARDED_BY(mu_) = 0;
};

// Everything the workers of one level share. Thread-safe: constants, atomics
// and thread-safe members only.
struct LevelRun {
  const RequestSource* requests = nullptr;
  std::vector<asio::ip::tcp::endpoint> endpoints;
  HttpLoadClient::Options client_options;
  TimePoint start;
  TimePoint measure_start;
  TimePoint measure_end;
  std::optional<ArrivalSchedule> schedule;  // open loop only

  LevelStats stats;
  std::atomic<uint64_t> next_body{0};
  std::atomic<int64_t> missed{0};
  // Nanoseconds after `start` of the last counted response.
  std::atomic<int64_t> last_completion_ns{0};

  const std::string& NextBody() {
    const std::vector<std::string>& bodies = requests->bodies();
    return bodies[next_body.fetch_add(1, std::memory_order_relaxed) %
                  bodies.size()];
  }

  void Record(const RoundTripResult& result, TimePoint started,
              TimePoint done) {
    if (started < measure_start) {
      stats.RecordWarmup();
      return;
    }
    const int64_t done_ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(done - start)
            .count();
    int64_t seen = last_completion_ns.load(std::memory_order_relaxed);
    while (seen < done_ns && !last_completion_ns.compare_exchange_weak(
                                 seen, done_ns, std::memory_order_relaxed)) {
    }
    if (result.status == 0) {
      stats.RecordTransportError(result.error);
    } else if (result.status >= 200 && result.status < 300) {
      stats.RecordSuccess(
          std::chrono::duration_cast<std::chrono::microseconds>(done - started)
              .count());
    } else {
      stats.RecordHttpError(result.status);
    }
  }
};

asio::awaitable<void> Backoff(const RoundTripResult& result) {
  if (result.status == 0 && result.error == TransportError::kConnect) {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    timer.expires_after(kConnectBackoff);
    co_await timer.async_wait(asio::use_awaitable);
  }
}

asio::awaitable<void> ClosedLoopWorker(LevelRun& run) {
  HttpLoadClient client(co_await asio::this_coro::executor, run.endpoints,
                        run.client_options);
  while (true) {
    const TimePoint started = SteadyClock::now();
    if (started >= run.measure_end) break;
    RoundTripResult result = co_await client.Post(
        run.requests->target(), run.requests->content_type(), run.NextBody());
    run.Record(result, started, SteadyClock::now());
    co_await Backoff(result);
  }
  run.stats.RecordReconnects(client.reconnects());
}

asio::awaitable<void> OpenLoopWorker(LevelRun& run) {
  HttpLoadClient client(co_await asio::this_coro::executor, run.endpoints,
                        run.client_options);
  asio::steady_timer timer(co_await asio::this_coro::executor);
  while (true) {
    const TimePoint due = run.schedule->Next();
    if (due >= run.measure_end) break;
    if (SteadyClock::now() >= run.measure_end) {
      // Due inside the window but this worker only got free after it
      // closed: the server fell behind the schedule.
      if (due >= run.measure_start) run.missed.fetch_add(1);
      break;
    }
    if (due > SteadyClock::now()) {
      timer.expires_at(due);
      co_await timer.async_wait(asio::use_awaitable);
    }
    RoundTripResult result = co_await client.Post(
        run.requests->target(), run.requests->content_type(), run.NextBody());
    run.Record(result, due, SteadyClock::now());
    co_await Backoff(result);
  }
  run.stats.RecordReconnects(client.reconnects());
}

}  // namespace

LoadGenerator::LoadGenerator(Options options) : options_(std::move(options)) {}

LevelResult LoadGenerator::RunLevel(
    const LevelSpec& spec,
    const std::function<void(const LevelProgress&)>& on_progress,
    absl::Duration progress_interval) {
  const bool open_loop = spec.request_rate > 0;
  const int workers = open_loop ? spec.connections : spec.concurrency;

  LevelRun run;
  run.requests = options_.requests;
  run.endpoints = options_.endpoints;
  run.client_options.host_header = options_.host_header;
  run.client_options.headers = options_.headers;
  run.client_options.timeout = ToSteady(options_.timeout);
  run.start = SteadyClock::now();
  run.measure_start = run.start + ToSteady(spec.warmup);
  run.measure_end = run.measure_start + ToSteady(spec.duration);
  if (open_loop) {
    run.schedule.emplace(run.start, spec.request_rate, spec.poisson, spec.seed);
  }

  asio::io_context io(options_.io_threads);
  std::atomic<int> active{workers};
  absl::Notification all_done;
  for (int i = 0; i < workers; ++i) {
    asio::co_spawn(io, open_loop ? OpenLoopWorker(run) : ClosedLoopWorker(run),
                   [&](std::exception_ptr error) {
                     // A worker can only throw on resource exhaustion
                     // (bad_alloc); the others carry on and the level ends.
                     if (active.fetch_sub(1) == 1) all_done.Notify();
                   });
  }
  std::vector<std::thread> threads;
  for (int i = 0; i < options_.io_threads; ++i) {
    threads.emplace_back([&io] { io.run(); });
  }

  const auto seconds_since = [](TimePoint t) {
    return std::chrono::duration<double>(SteadyClock::now() - t).count();
  };
  while (!all_done.WaitForNotificationWithTimeout(progress_interval)) {
    if (!on_progress) continue;
    LevelProgress progress;
    progress.warming_up = SteadyClock::now() < run.measure_start;
    progress.phase_elapsed_seconds = progress.warming_up
                                         ? seconds_since(run.start)
                                         : seconds_since(run.measure_start);
    progress.phase_seconds = absl::ToDoubleSeconds(
        progress.warming_up ? spec.warmup : spec.duration);
    progress.stats = run.stats.Peek();
    on_progress(progress);
  }
  for (std::thread& t : threads) t.join();

  LevelResult result;
  result.concurrency = open_loop ? 0 : spec.concurrency;
  result.request_rate = open_loop ? spec.request_rate : 0;
  result.connections = workers;
  run.stats.MoveInto(&result);
  if (open_loop) {
    // Due times inside the window that no worker ever took.
    int64_t untaken = 0;
    for (TimePoint due = run.schedule->Next(); due < run.measure_end;
         due = run.schedule->Next()) {
      if (due >= run.measure_start) ++untaken;
    }
    result.missed = run.missed.load() + untaken;
  }
  const double window = absl::ToDoubleSeconds(spec.duration);
  const double until_last_response =
      static_cast<double>(run.last_completion_ns.load()) / 1e9 -
      absl::ToDoubleSeconds(spec.warmup);
  result.elapsed_seconds = std::max(window, until_last_response);
  return result;
}

}  // namespace inferd::bench
