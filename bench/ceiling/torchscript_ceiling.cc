// The in-process ceiling for a TorchScript model served by inferd (issue 3).
//
//   build/bench/ceiling/inferd_torchscript_ceiling
//       --model build/examples/model_repository/text_classifier/1/model.pt
//       --batch 32 --seq-len 32 --threads 2 --duration 10 --warmup 2 [--json]
//
// Loads the file with torch::jit::load and calls forward() back to back on
// one thread, inside c10::InferenceMode, with at::set_num_threads(--threads)
// intra-op threads (0: libtorch's default, as `inferd serve` with its default
// --intra-op-threads 0) and one inter-op thread, and OpenBLAS's own pool set
// to the intra-op count, as inferd configures libtorch.
// Every forward argument gets an INT64 tensor [batch, seq-len]: arguments
// whose name contains "mask" are all ones, the others token ids drawn from
// [1, --vocab) with a fixed seed. Nothing else runs: no HTTP, no JSON, no
// queue. The figures are what a server calling the same module at the same
// batch size can reach at most:
//
//   inferences/s  rows (requests of batch 1) per second = batch * batches/s
//   batches/s     forward calls per second
//   p50/p99 ms    latency of one forward call
//   cpu_s         CPU time the process used while measuring (all threads);
//                 rows per CPU-second stays meaningful on a busy machine
//
// --json prints one object instead of the text lines.

#include <ATen/Parallel.h>
#include <dlfcn.h>
#include <sys/resource.h>
#include <c10/core/InferenceMode.h>
#include <torch/script.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <vector>

namespace {

struct Options {
  std::string model;
  int batch = 1;
  int seq_len = 32;
  int threads = 2;  // 0: libtorch's default
  int vocab = 2048;
  double duration_s = 10.0;
  double warmup_s = 2.0;
  bool json = false;
};

[[noreturn]] void Usage(const char* argv0, const std::string& error) {
  if (!error.empty()) std::fprintf(stderr, "%s: %s\n", argv0, error.c_str());
  std::fprintf(stderr,
               "usage: %s --model FILE [--batch N (1)] [--seq-len L (32)] "
               "[--threads T (2; 0: libtorch default)] [--vocab V (2048)] [--duration SECONDS (10)] "
               "[--warmup SECONDS (2)] [--json]\n",
               argv0);
  std::exit(2);
}

double ParseNumber(const char* argv0, const std::string& flag, const char* text,
                   double min) {
  char* end = nullptr;
  double value = std::strtod(text, &end);
  if (end == text || *end != '\0' || !(value >= min)) {
    Usage(argv0, flag + " needs a number >= " + std::to_string(min) + ", got \"" + text + "\"");
  }
  return value;
}

Options ParseOptions(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (flag == "--json") {
      options.json = true;
      continue;
    }
    if (flag == "--help" || flag == "-h") Usage(argv[0], "");
    if (i + 1 >= argc) Usage(argv[0], flag + " needs a value");
    const char* value = argv[++i];
    if (flag == "--model") {
      options.model = value;
    } else if (flag == "--batch") {
      options.batch = static_cast<int>(ParseNumber(argv[0], flag, value, 1));
    } else if (flag == "--seq-len") {
      options.seq_len = static_cast<int>(ParseNumber(argv[0], flag, value, 1));
    } else if (flag == "--threads") {
      options.threads = static_cast<int>(ParseNumber(argv[0], flag, value, 0));
    } else if (flag == "--vocab") {
      options.vocab = static_cast<int>(ParseNumber(argv[0], flag, value, 2));
    } else if (flag == "--duration") {
      options.duration_s = ParseNumber(argv[0], flag, value, 0.1);
    } else if (flag == "--warmup") {
      options.warmup_s = ParseNumber(argv[0], flag, value, 0);
    } else {
      Usage(argv[0], "unknown flag " + flag);
    }
  }
  if (options.model.empty()) Usage(argv[0], "--model is required");
  return options;
}

double CpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  size_t index = static_cast<size_t>(p / 100.0 * static_cast<double>(values.size() - 1) + 0.5);
  return values[std::min(index, values.size() - 1)];
}

}  // namespace

int main(int argc, char** argv) {
  Options options = ParseOptions(argc, argv);
  using Clock = std::chrono::steady_clock;
  try {
    if (options.threads > 0) at::set_num_threads(options.threads);
    at::set_num_interop_threads(1);
    const int threads = at::get_num_threads();  // what forward() will use
    // As ConfigureTorchThreads in inferd: OpenBLAS's pool gets the same count.
    using SetBlasThreads = void (*)(int);
    if (auto set_blas_threads = reinterpret_cast<SetBlasThreads>(
            dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) {
      set_blas_threads(threads);
    }
    torch::jit::Module module = torch::jit::load(options.model);
    module.eval();

    const auto& schema = module.get_method("forward").function().getSchema();
    torch::manual_seed(0);
    std::vector<c10::IValue> inputs;
    std::string names;
    for (size_t i = 1; i < schema.arguments().size(); ++i) {  // 0 is self
      const std::string& name = schema.arguments()[i].name();
      names += (names.empty() ? "" : ", ") + name;
      if (name.find("mask") != std::string::npos) {
        inputs.emplace_back(torch::ones({options.batch, options.seq_len}, torch::kInt64));
      } else {
        inputs.emplace_back(
            torch::randint(1, options.vocab, {options.batch, options.seq_len}, torch::kInt64));
      }
    }

    c10::InferenceMode guard;
    auto run_for = [&](double seconds, std::vector<double>* latencies_ms) {
      int64_t calls = 0;
      const auto start = Clock::now();
      const auto end = start + std::chrono::duration<double>(seconds);
      auto now = start;
      do {
        const auto before = now;
        c10::IValue result = module.forward(inputs);
        now = Clock::now();
        ++calls;
        if (latencies_ms) {
          latencies_ms->push_back(std::chrono::duration<double, std::milli>(now - before).count());
        }
      } while (now < end);
      return std::make_pair(calls, std::chrono::duration<double>(now - start).count());
    };
    if (options.warmup_s > 0) run_for(options.warmup_s, nullptr);
    std::vector<double> latencies_ms;
    latencies_ms.reserve(1 << 16);
    const double cpu_before = CpuSeconds();
    auto [calls, elapsed] = run_for(options.duration_s, &latencies_ms);
    const double cpu_s = CpuSeconds() - cpu_before;

    const double batches_per_s = static_cast<double>(calls) / elapsed;
    const double rows_per_s = batches_per_s * options.batch;
    const double p50 = Percentile(latencies_ms, 50), p99 = Percentile(latencies_ms, 99);
    if (options.json) {
      std::printf(
          "{\"model\": \"%s\", \"batch\": %d, \"seq_len\": %d, \"threads\": %d, "
          "\"duration_s\": %.3f, \"batches\": %lld, \"batches_per_s\": %.2f, "
          "\"inferences_per_s\": %.2f, \"p50_ms\": %.3f, \"p99_ms\": %.3f, "
          "\"cpu_s\": %.3f, \"inferences_per_cpu_s\": %.2f}\n",
          options.model.c_str(), options.batch, options.seq_len, threads, elapsed,
          static_cast<long long>(calls), batches_per_s, rows_per_s, p50, p99, cpu_s,
          cpu_s > 0 ? static_cast<double>(calls) * options.batch / cpu_s : 0.0);
    } else {
      std::printf("model: %s\nforward(%s): INT64 [%d, %d], %d intra-op threads\n",
                  options.model.c_str(), names.c_str(), options.batch, options.seq_len,
                  threads);
      std::printf("batches: %lld in %.2f s\n", static_cast<long long>(calls), elapsed);
      std::printf("inferences/s: %.1f\nbatches/s: %.1f\n", rows_per_s, batches_per_s);
      std::printf("batch latency: p50 %.3f ms, p99 %.3f ms\n", p50, p99);
      std::printf("cpu: %.2f s, %.1f inferences per CPU-second\n", cpu_s,
                  cpu_s > 0 ? static_cast<double>(calls) * options.batch / cpu_s : 0.0);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", argv[0], e.what());
    return 1;
  }
  return 0;
}
