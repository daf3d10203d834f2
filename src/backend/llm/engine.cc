#include "backend/llm/engine.h"

#include <algorithm>
#include <thread>
#include <utility>

#include "common/strings.h"
#include "text/grammar_constraint.h"

namespace inferd::llm {

struct Engine::Sequence {
  Sequence(SequenceId id_in, GenerationRequest request, int32_t n_vocab)
      : id(id_in),
        req(std::move(request)),
        sampler(req.sampling, n_vocab),
        tokens(req.prompt) {}

  SequenceId id;
  GenerationRequest req;
  Sampler sampler;
  std::unique_ptr<text::GrammarConstraint> grammar;  // made at first sample
  SequenceKv kv;
  PrefixChain chain;            // how much of kv is published for reuse
  int64_t cached = 0;           // prompt tokens reused from the prefix cache
  std::vector<int32_t> tokens;  // prompt then generated
  int64_t generated = 0;
  text::Utf8StreamDecoder utf8;
  std::string held;  // decoded text not yet released (stop-string check)
  bool started = false;
  Clock::time_point start, first_token, last_token;
  bool done = false;

  int64_t fed() const { return kv.length; }
  bool prefilling() const {
    return fed() < static_cast<int64_t>(req.prompt.size());
  }
};

const char* FinishReasonName(FinishReason reason) {
  switch (reason) {
    case FinishReason::kNone:
      return "none";
    case FinishReason::kStop:
      return "stop";
    case FinishReason::kLength:
      return "length";
    case FinishReason::kContext:
      return "context";
    case FinishReason::kCancelled:
      return "cancelled";
    case FinishReason::kTimeout:
      return "timeout";
    case FinishReason::kRefused:
      return "refused";
  }
  return "unknown";
}

double SequenceTimings::decode_tokens_per_second() const {
  return generation_seconds > 0 ? (generated_tokens - 1) / generation_seconds
                                : 0;
}

double SequenceTimings::prompt_tokens_per_second() const {
  return prompt_seconds > 0 ? prompt_tokens / prompt_seconds : 0;
}

absl::StatusOr<std::unique_ptr<Engine>> Engine::Create(
    std::shared_ptr<const Model> model, Options options) {
  if (model == nullptr) return absl::InvalidArgumentError("no model");
  if (options.threads <= 0) {
    options.threads = std::max(1u, std::thread::hardware_concurrency());
  }
  if (options.max_context <= 0) {
    options.max_context =
        std::min<int64_t>(model->config().context_length, kDefaultMaxContext);
  }
  options.max_context =
      std::min<int64_t>(options.max_context, model->config().context_length);
  if (options.max_batch_tokens <= 0 || options.max_sequences <= 0 ||
      options.kv_block_tokens <= 0) {
    return absl::InvalidArgumentError(
        "max_batch_tokens, max_sequences and kv_block_tokens must be positive");
  }
  if (options.kv_cache_tokens <= 0) {
    options.kv_cache_tokens = 2 * options.max_context;
  }
  const ModelConfig& c = model->config();
  KvCache::Options kv;
  kv.n_layers = c.n_layers;
  kv.kv_dim = c.kv_dim();
  kv.block_tokens = options.kv_block_tokens;
  kv.type = options.kv_type;
  kv.head_dim = c.head_dim;
  kv.num_blocks =
      (options.kv_cache_tokens + kv.block_tokens - 1) / kv.block_tokens;
  auto cache = KvCache::Create(kv);
  if (!cache.ok()) return cache.status();
  std::unique_ptr<Engine> engine(new Engine(std::move(model), options));
  engine->cache_ = *std::move(cache);
  engine->blocks_ = std::make_unique<PrefixCache>(engine->cache_.get(),
                                                  options.prefix_cache);
  Transformer::Options t;
  t.max_batch_tokens = options.max_batch_tokens;
  t.max_context = options.max_context;
  auto transformer =
      Transformer::Create(engine->model_.get(), engine->pool_.get(), t);
  if (!transformer.ok()) return transformer.status();
  engine->transformer_ = *std::move(transformer);
  return engine;
}

Engine::Engine(std::shared_ptr<const Model> model, Options options)
    : model_(std::move(model)),
      options_(options),
      clock_(options.clock != nullptr ? options.clock : RealClock::Get()) {
  const ModelConfig& c = model_->config();
  // The stepping thread is one of the `threads`.
  pool_ = std::make_unique<ThreadPool>(options_.threads - 1, /*spin_when_idle=*/true);
  const int64_t max_logit_rows =
      std::min(options_.max_sequences, options_.max_batch_tokens);
  logits_.resize(max_logit_rows * c.n_vocab);
  batch_.reserve(options_.max_batch_tokens);
  batch_seqs_.reserve(options_.max_sequences);
  logit_owners_.reserve(max_logit_rows);
}

Engine::~Engine() = default;

absl::StatusOr<SequenceId> Engine::Add(GenerationRequest request) {
  const ModelConfig& c = model_->config();
  if (request.prompt.empty()) {
    return absl::InvalidArgumentError("prompt: no tokens");
  }
  for (int32_t t : request.prompt) {
    if (t < 0 || t >= c.n_vocab) {
      return absl::InvalidArgumentError(ToAbsl(
          StrCat("prompt: token id ", t, " outside vocabulary of ", c.n_vocab)));
    }
  }
  if (static_cast<int64_t>(request.prompt.size()) >= options_.max_context) {
    return absl::InvalidArgumentError(ToAbsl(
        StrCat("prompt: ", request.prompt.size(),
            " tokens do not fit the context of ", options_.max_context)));
  }
  if (request.max_tokens < 1) {
    return absl::InvalidArgumentError("max_tokens: must be at least 1");
  }
  if (request.logprobs < -1 || request.logprobs > Engine::kMaxTopLogprobs) {
    return absl::InvalidArgumentError(
        ToAbsl(StrCat("top_logprobs: must be in [0, ", Engine::kMaxTopLogprobs, "]")));
  }
  if (absl::Status s = ValidateSamplingParams(request.sampling); !s.ok()) {
    return s;
  }
  for (const std::string& s : request.stop) {
    if (s.empty()) return absl::InvalidArgumentError("stop: empty string");
  }
  const int64_t budget_blocks =
      (KvBudget(request) + options_.kv_block_tokens - 1) / options_.kv_block_tokens;
  if (budget_blocks > cache_->options().num_blocks) {
    return absl::InvalidArgumentError(ToAbsl(StrCat(
        "max_tokens: the prompt and max_tokens need ", KvBudget(request),
        " tokens of KV cache; the model has ",
        cache_->options().num_blocks * options_.kv_block_tokens,
        " (raise kv_cache_bytes or lower max_tokens)")));
  }
  absl::MutexLock lock(&mutex_);
  const SequenceId id = next_id_++;
  auto seq = std::make_unique<Sequence>(id, std::move(request),
                                        static_cast<int32_t>(c.n_vocab));
  seq->kv.blocks.reserve(options_.max_context / options_.kv_block_tokens + 1);
  seq->tokens.reserve(options_.max_context);
  for (int32_t t : seq->req.prompt) seq->sampler.Accept(t);
  // Waiting in (priority, arrival) order: after every sequence of the same
  // or a more urgent level.
  auto after = std::upper_bound(
      pending_.begin(), pending_.end(), seq->req.priority,
      [](uint32_t level, const std::unique_ptr<Sequence>& s) { return level < s->req.priority; });
  pending_.insert(after, std::move(seq));
  return id;
}

int64_t Engine::KvBudget(const GenerationRequest& request) const {
  return std::min<int64_t>(static_cast<int64_t>(request.prompt.size()) + request.max_tokens,
                           options_.max_context);
}

void Engine::Cancel(SequenceId id) {
  absl::MutexLock lock(&mutex_);
  cancelled_.insert(id);
}

int64_t Engine::active_sequences() const {
  absl::MutexLock lock(&mutex_);
  return static_cast<int64_t>(pending_.size()) + running_count_;
}

Engine::Stats Engine::stats() const {
  absl::MutexLock lock(&mutex_);
  Stats stats = totals_;
  stats.running = running_count_;
  stats.waiting = static_cast<int64_t>(pending_.size());
  stats.kv_used_bytes = kv_used_blocks_ * cache_->block_bytes();
  stats.kv_capacity_bytes = cache_->options().num_blocks * cache_->block_bytes();
  stats.kv_used_tokens = kv_used_blocks_ * options_.kv_block_tokens;
  stats.kv_capacity_tokens = cache_->options().num_blocks * options_.kv_block_tokens;
  stats.prefix_cache_tokens = kv_cached_blocks_ * options_.kv_block_tokens;
  return stats;
}

bool Engine::ReleaseText(Sequence& seq, std::string* out, bool final) {
  std::string& held = seq.held;
  size_t stop_at = std::string::npos;
  for (const std::string& s : seq.req.stop) {
    stop_at = std::min(stop_at, held.find(s));
  }
  if (stop_at != std::string::npos) {
    out->append(held, 0, stop_at);
    held.clear();
    return true;
  }
  size_t keep = 0;
  if (!final) {
    // Longest suffix of `held` that begins some stop string.
    for (const std::string& s : seq.req.stop) {
      for (size_t n = std::min(s.size() - 1, held.size()); n > keep; --n) {
        if (held.compare(held.size() - n, n, s, 0, n) == 0) {
          keep = n;
          break;
        }
      }
    }
  }
  out->append(held, 0, held.size() - keep);
  held.erase(0, held.size() - keep);
  return false;
}

void Engine::Finish(Sequence& seq, FinishReason reason, std::string detail,
                    std::vector<StepEvent>* events) {
  StepEvent* ev = nullptr;
  for (StepEvent& e : *events) {
    if (e.id == seq.id) ev = &e;
  }
  if (ev == nullptr) {
    events->push_back(StepEvent{});
    ev = &events->back();
    ev->id = seq.id;
  }
  if (reason != FinishReason::kStop && reason != FinishReason::kCancelled &&
      reason != FinishReason::kTimeout) {
    seq.held += seq.utf8.Flush();
    ReleaseText(seq, &ev->text, true);
  }
  ev->finish = reason;
  ev->detail = std::move(detail);
  SequenceTimings& t = ev->timings;
  t.prompt_tokens = static_cast<int64_t>(seq.req.prompt.size());
  t.cached_prompt_tokens = seq.cached;
  t.generated_tokens = seq.generated;
  if (seq.generated > 0) {
    t.prompt_seconds =
        std::chrono::duration<double>(seq.first_token - seq.start).count();
    t.generation_seconds =
        std::chrono::duration<double>(seq.last_token - seq.first_token).count();
  }
  seq.done = true;
  blocks_->Release(seq.kv, seq.chain);
}

const uint64_t* Engine::GrammarMask(Sequence& seq) {
  const text::GgufTokenizer& tok = model_->tokenizer();
  if (trie_ == nullptr) {
    std::vector<std::string> bytes(tok.vocab_size());
    for (int32_t id = 0; id < tok.vocab_size(); ++id) {
      if (tok.IsEndOfGeneration(id)) {
        end_tokens_.push_back(id);
      } else {
        bytes[id] = tok.TokenBytes(id);
      }
    }
    trie_ = text::TokenTrie::Create(bytes);
  }
  if (seq.grammar == nullptr) {
    seq.grammar = std::make_unique<text::GrammarConstraint>(seq.req.grammar, trie_);
  }
  const std::vector<uint64_t>& allowed = seq.grammar->AllowedTokens();
  mask_.assign(allowed.begin(), allowed.end());
  if (seq.grammar->accepting() && !seq.req.ignore_eos) {
    for (int32_t id : end_tokens_) mask_[id >> 6] |= uint64_t{1} << (id & 63);
  }
  for (uint64_t word : mask_) {
    if (word != 0) return mask_.data();
  }
  return nullptr;
}

absl::Status Engine::Step(std::vector<StepEvent>* events) {
  events->clear();
  const ModelConfig& c = model_->config();
  const text::GgufTokenizer& tok = model_->tokenizer();
  {
    absl::MutexLock lock(&mutex_);
    for (auto& seq : running_) {
      if (cancelled_.contains(seq->id)) {
        Finish(*seq, FinishReason::kCancelled, "", events);
      }
    }
    // A waiting sequence that was cancelled ends without ever running.
    for (auto& seq : pending_) {
      if (cancelled_.contains(seq->id)) Finish(*seq, FinishReason::kCancelled, "", events);
    }
    const absl::Time now = clock_->Now();
    for (auto* list : {&running_, &pending_}) {
      for (auto& seq : *list) {
        if (!seq->done && seq->req.deadline && now >= *seq->req.deadline) {
          Finish(*seq, FinishReason::kTimeout, "", events);
        }
      }
    }
    pending_.erase(std::remove_if(pending_.begin(), pending_.end(),
                                  [](const std::unique_ptr<Sequence>& s) { return s->done; }),
                   pending_.end());
    cancelled_.clear();
    // Admission, in priority then arrival order: a sequence joins the batch when a slot is
    // free and the KV blocks of its whole budget (prompt + max_tokens) can
    // be reserved, so that a running sequence never runs out of cache. The
    // longest cached prefix of its prompt comes with it, already computed.
    size_t taken = 0;
    for (; taken < pending_.size(); ++taken) {
      Sequence& seq = *pending_[taken];
      if (static_cast<int64_t>(running_.size()) >= options_.max_sequences) break;
      absl::StatusOr<int64_t> cached =
          blocks_->Admit(seq.kv, seq.chain, seq.req.prompt, KvBudget(seq.req));
      if (!cached.ok()) break;
      seq.cached = *cached;
      totals_.prompt_tokens += static_cast<int64_t>(seq.req.prompt.size());
      totals_.prefix_cache_hit_tokens += seq.cached;
      totals_.prefix_cache_hits += seq.cached > 0;
      running_.push_back(std::move(pending_[taken]));
    }
    pending_.erase(pending_.begin(), pending_.begin() + taken);
  }

  // Schedule: decode tokens first (one per generating sequence), then prompt
  // chunks with the remaining token budget.
  batch_.clear();
  batch_seqs_.clear();
  logit_owners_.clear();
  const int64_t budget = options_.max_batch_tokens;
  const auto now = Clock::now();
  Sequence* blocked = nullptr;  // first prompt that found no free KV blocks
  for (int pass = 0; pass < 2; ++pass) {
    for (auto& holder : running_) {
      Sequence& seq = *holder;
      if (seq.done || seq.prefilling() != (pass == 1)) continue;
      if (static_cast<int64_t>(batch_seqs_.size()) >= options_.max_sequences) {
        break;
      }
      const int64_t room = budget - static_cast<int64_t>(batch_.size());
      if (room <= 0) break;
      const int64_t prompt_left =
          static_cast<int64_t>(seq.req.prompt.size()) - seq.fed();
      const int64_t n = pass == 0 ? 1 : std::min(room, prompt_left);
      if (seq.fed() + n > options_.max_context) {
        Finish(seq, FinishReason::kContext, "context length reached", events);
        continue;
      }
      if (absl::Status s = blocks_->Reserve(seq.kv, seq.fed() + n); !s.ok()) {
        if (pass == 0 || running_.size() == 1) {
          Finish(seq, FinishReason::kContext, std::string(s.message()), events);
        } else if (blocked == nullptr) {
          blocked = &seq;  // a waiting prompt retries when blocks free up
        }
        continue;
      }
      if (!seq.started) {
        seq.started = true;
        seq.start = now;
      }
      const int32_t index = static_cast<int32_t>(batch_seqs_.size());
      batch_seqs_.push_back(&seq.kv);
      for (int64_t k = 0; k < n; ++k) {
        const int64_t pos = seq.fed() + k;
        const bool last = pos + 1 == static_cast<int64_t>(seq.tokens.size());
        batch_.push_back(
            {seq.tokens[pos], static_cast<int32_t>(pos), index, last});
        if (last) logit_owners_.push_back(&seq);
      }
    }
  }

  if (batch_.empty() && blocked != nullptr) {
    // Only prompts waiting for blocks that no running sequence will free:
    // end one so the others can go on.
    Finish(*blocked, FinishReason::kContext,
           "KV cache full: prompts waiting for blocks hold all of them",
           events);
  }
  if (!batch_.empty()) {
    if (absl::Status s = transformer_->Forward(batch_, batch_seqs_,
                                               cache_.get(), logits_.data());
        !s.ok()) {
      return s;
    }
    // Blocks this pass filled become reusable by later prompts.
    for (auto& seq : running_) {
      if (!seq->done) blocks_->Publish(seq->kv, seq->chain, seq->tokens);
    }
  }

  const auto after = Clock::now();
  for (size_t i = 0; i < logit_owners_.size(); ++i) {
    Sequence& seq = *logit_owners_[i];
    float* row = logits_.data() + i * c.n_vocab;
    const uint64_t* allowed = nullptr;
    if (seq.req.grammar != nullptr) {
      allowed = GrammarMask(seq);
      if (seq.grammar->too_complex()) {
        Finish(seq, FinishReason::kRefused,
               StrCat("grammar: too ambiguous to follow after ", seq.generated,
                      " generated tokens: it needs ", text::GrammarMatcher::kTooComplexReason),
               events);
        continue;
      }
      if (allowed == nullptr) {
        Finish(seq, FinishReason::kStop, "grammar: no token can continue the output", events);
        continue;
      }
    }
    const int32_t token = seq.sampler.Sample(row, allowed);
    seq.sampler.Accept(token);
    if (seq.grammar != nullptr && !tok.IsEndOfGeneration(token)) seq.grammar->Accept(token);
    seq.tokens.push_back(token);
    ++seq.generated;
    if (seq.generated == 1) seq.first_token = after;
    seq.last_token = after;
    events->push_back(StepEvent{});
    StepEvent& ev = events->back();
    ev.id = seq.id;
    ev.token = token;
    if (seq.req.logprobs >= 0) {
      ev.logprob = TokenLogprobs(row, c.n_vocab, token, seq.req.logprobs, &ev.top_logprobs);
    }
    if (!seq.req.ignore_eos && tok.IsEndOfGeneration(token)) {
      // Text held back as a possible stop-string prefix is output after all.
      seq.held += seq.utf8.Flush();
      ReleaseText(seq, &ev.text, true);
      Finish(seq, FinishReason::kStop, "", events);
      continue;
    }
    seq.held += seq.utf8.Push(tok.TokenBytes(token));
    const bool stopped = ReleaseText(seq, &ev.text, false);
    // A grammar's output that is complete and cannot go on ends here.
    const bool complete = !stopped && seq.grammar != nullptr && seq.grammar->accepting() &&
                          !seq.grammar->can_continue();
    if (complete) {
      seq.held += seq.utf8.Flush();
      ReleaseText(seq, &ev.text, true);
    }
    if (stopped || complete) {
      Finish(seq, FinishReason::kStop, "", events);
    } else if (seq.generated >= seq.req.max_tokens) {
      Finish(seq, FinishReason::kLength, "", events);
    } else if (static_cast<int64_t>(seq.tokens.size()) > options_.max_context) {
      Finish(seq, FinishReason::kContext, "context length reached", events);
    }
  }

  running_.erase(std::remove_if(running_.begin(), running_.end(),
                                [](const std::unique_ptr<Sequence>& s) {
                                  return s->done;
                                }),
                 running_.end());
  absl::MutexLock lock(&mutex_);
  running_count_ = static_cast<int64_t>(running_.size());
  kv_used_blocks_ = blocks_->referenced_blocks();
  kv_cached_blocks_ = blocks_->cached_blocks();
  totals_.generated_tokens += static_cast<int64_t>(logit_owners_.size());
  return absl::OkStatus();
}

}  // namespace inferd::llm
