// grpc_bench: a closed-loop load client for KServe v2 ModelInfer over gRPC,
// the gRPC side of bench/grpc/compare.sh (`inferd bench` drives the HTTP
// side with the same levels).
//
// `simple` requests (INPUT0 = 0..15, INPUT1 = 1, INT32 [1,16], raw
// contents); every answer is checked (OUTPUT0 = 1..16, OUTPUT1 = -1..14), a
// wrong one counts as an error. For each concurrency level: `c` calls in
// flight, each sent again as soon as it is answered, spread over
// min(c, --channels) channels (own TCP connections), `--warmup` seconds not
// counted, then `--duration` seconds measured. Prints one line per level,
// or with --json one JSON object per level.
//
//   grpc_bench --target 127.0.0.1:8001 --concurrency 1,8,64 --duration 10

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "grpc/grpc_service.grpc.pb.h"
#include "grpcpp/grpcpp.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Level {
  int concurrency = 1;
  uint64_t ok = 0;
  uint64_t errors = 0;
  double seconds = 0;
  std::vector<double> latencies_ms;
  std::string first_error;
};

inference::ModelInferRequest SimpleRequest(const std::string& model) {
  inference::ModelInferRequest request;
  request.set_model_name(model);
  int32_t a[16], b[16];
  for (int i = 0; i < 16; ++i) {
    a[i] = i;
    b[i] = 1;
  }
  for (const char* name : {"INPUT0", "INPUT1"}) {
    auto* input = request.add_inputs();
    input->set_name(name);
    input->set_datatype("INT32");
    input->add_shape(1);
    input->add_shape(16);
  }
  request.add_raw_input_contents(std::string(reinterpret_cast<const char*>(a), sizeof(a)));
  request.add_raw_input_contents(std::string(reinterpret_cast<const char*>(b), sizeof(b)));
  return request;
}

bool CorrectAnswer(const inference::ModelInferResponse& response) {
  if (response.raw_output_contents_size() != 2 || response.outputs_size() != 2) return false;
  for (int k = 0; k < 2; ++k) {
    const std::string& raw = response.raw_output_contents(k);
    if (raw.size() != 64) return false;
    const bool sum = response.outputs(k).name() == "OUTPUT0";
    for (int i = 0; i < 16; ++i) {
      int32_t v;
      std::memcpy(&v, raw.data() + 4 * i, 4);
      if (v != (sum ? i + 1 : i - 1)) return false;
    }
  }
  return true;
}

// One closed-loop worker: its next call starts in the previous one's
// completion callback.
class Worker {
 public:
  Worker(inference::GRPCInferenceService::Stub* stub, const inference::ModelInferRequest* request,
         std::atomic<bool>* measuring, std::atomic<bool>* stopping)
      : stub_(stub), request_(request), measuring_(measuring), stopping_(stopping) {}

  void Start() {
    context_ = std::make_unique<grpc::ClientContext>();
    context_->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    response_.Clear();
    sent_ = Clock::now();
    stub_->async()->ModelInfer(context_.get(), request_, &response_,
                               [this](grpc::Status status) { Done(status); });
  }

  void Wait() {
    std::unique_lock<std::mutex> lock(mu_);
    idle_cv_.wait(lock, [this] { return idle_; });
  }

  uint64_t ok = 0, errors = 0;
  std::vector<double> latencies_ms;
  std::string first_error;

 private:
  void Done(const grpc::Status& status) {
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - sent_).count();
    if (measuring_->load()) {
      const bool good = status.ok() && CorrectAnswer(response_);
      if (good) {
        ++ok;
        latencies_ms.push_back(ms);
      } else {
        ++errors;
        if (first_error.empty()) {
          first_error = status.ok() ? "wrong answer" : status.error_message();
        }
      }
    }
    if (stopping_->load()) {
      std::lock_guard<std::mutex> lock(mu_);
      idle_ = true;
      idle_cv_.notify_all();
      return;
    }
    Start();
  }

  inference::GRPCInferenceService::Stub* stub_;
  const inference::ModelInferRequest* request_;
  std::atomic<bool>* measuring_;
  std::atomic<bool>* stopping_;
  std::unique_ptr<grpc::ClientContext> context_;
  inference::ModelInferResponse response_;
  Clock::time_point sent_;
  std::mutex mu_;
  std::condition_variable idle_cv_;
  bool idle_ = false;
};

Level RunLevel(const std::string& target, const inference::ModelInferRequest& request,
               int concurrency, int max_channels, double warmup_s, double duration_s) {
  const int channels = std::max(1, std::min(concurrency, max_channels));
  std::vector<std::unique_ptr<inference::GRPCInferenceService::Stub>> stubs;
  for (int i = 0; i < channels; ++i) {
    grpc::ChannelArguments args;
    // Each channel its own connection, not one shared subchannel.
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    args.SetInt("inferd.bench.channel", i);
    stubs.push_back(inference::GRPCInferenceService::NewStub(
        grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args)));
  }
  std::atomic<bool> measuring{false}, stopping{false};
  std::vector<std::unique_ptr<Worker>> workers;
  for (int i = 0; i < concurrency; ++i) {
    workers.push_back(
        std::make_unique<Worker>(stubs[i % channels].get(), &request, &measuring, &stopping));
  }
  for (auto& worker : workers) worker->Start();
  std::this_thread::sleep_for(std::chrono::duration<double>(warmup_s));
  measuring = true;
  const Clock::time_point start = Clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(duration_s));
  stopping = true;
  for (auto& worker : workers) worker->Wait();
  Level level;
  level.concurrency = concurrency;
  level.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  for (auto& worker : workers) {
    level.ok += worker->ok;
    level.errors += worker->errors;
    level.latencies_ms.insert(level.latencies_ms.end(), worker->latencies_ms.begin(),
                              worker->latencies_ms.end());
    if (level.first_error.empty()) level.first_error = worker->first_error;
  }
  std::sort(level.latencies_ms.begin(), level.latencies_ms.end());
  return level;
}

double Percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const size_t i = std::min(sorted.size() - 1, static_cast<size_t>(p * sorted.size()));
  return sorted[i];
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Closed-loop KServe v2 gRPC load client (ModelInfer on `simple`)"};
  std::string target = "127.0.0.1:8001";
  std::string model = "simple";
  std::string levels = "1,8,64";
  int channels = 64;
  double duration = 10, warmup = 2;
  bool json = false;
  app.add_option("--target", target, "Server gRPC address HOST:PORT")->capture_default_str();
  app.add_option("-m,--model", model, "A model with simple's signature")->capture_default_str();
  app.add_option("-c,--concurrency", levels, "Calls in flight: one level or a sweep like 1,8,64")
      ->capture_default_str();
  app.add_option("--channels", channels, "At most this many channels (connections) per level")
      ->capture_default_str();
  app.add_option("-d,--duration", duration, "Measured seconds per level")->capture_default_str();
  app.add_option("--warmup", warmup, "Seconds per level before measuring")->capture_default_str();
  app.add_flag("--json", json, "One JSON object per level instead of a table line");
  CLI11_PARSE(app, argc, argv);

  const inference::ModelInferRequest request = SimpleRequest(model);
  int failed = 0;
  for (absl::string_view text : absl::StrSplit(levels, ',')) {
    const int c = std::atoi(std::string(text).c_str());
    if (c < 1) {
      std::fprintf(stderr, "grpc_bench: bad concurrency \"%s\"\n", std::string(text).c_str());
      return 2;
    }
    const Level level = RunLevel(target, request, c, channels, warmup, duration);
    const double rps = level.ok / level.seconds;
    const double mean =
        level.latencies_ms.empty()
            ? 0
            : std::accumulate(level.latencies_ms.begin(), level.latencies_ms.end(), 0.0) /
                  level.latencies_ms.size();
    if (json) {
      std::printf(
          "{\"protocol\":\"grpc\",\"concurrency\":%d,\"requests\":%llu,\"errors\":%llu,"
          "\"throughput_rps\":%.1f,\"latency_ms\":{\"mean\":%.3f,\"p50\":%.3f,\"p90\":%.3f,"
          "\"p99\":%.3f}}\n",
          c, static_cast<unsigned long long>(level.ok),
          static_cast<unsigned long long>(level.errors), rps, mean,
          Percentile(level.latencies_ms, 0.5), Percentile(level.latencies_ms, 0.9),
          Percentile(level.latencies_ms, 0.99));
    } else {
      std::printf("grpc c=%-3d %8llu ok %4llu errors %9.1f req/s  mean %.3f  p50 %.3f  p90 %.3f  "
                  "p99 %.3f ms%s%s\n",
                  c, static_cast<unsigned long long>(level.ok),
                  static_cast<unsigned long long>(level.errors), rps, mean,
                  Percentile(level.latencies_ms, 0.5), Percentile(level.latencies_ms, 0.9),
                  Percentile(level.latencies_ms, 0.99), level.first_error.empty() ? "" : "  first error: ",
                  level.first_error.c_str());
    }
    std::fflush(stdout);
    if (level.errors > 0 || level.ok == 0) failed = 1;
  }
  return failed;
}
