#include "http/chunk_queue.h"

#include <utility>

#include "absl/strings/str_split.h"
#include "common/strings.h"

namespace inferd {

ChunkQueue::ChunkQueue(std::function<void()> on_close) : on_close_(std::move(on_close)) {}

void ChunkQueue::Push(std::string chunk) {
  if (chunk.empty()) return;
  Deliver deliver;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (finished_ || closed_) return;
    if (!waiting_) {
      chunks_.push_back(std::move(chunk));
      return;
    }
    deliver = std::move(waiting_);
    waiting_ = nullptr;
  }
  deliver(std::move(chunk));
}

void ChunkQueue::Finish() {
  Deliver deliver;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (finished_) return;
    finished_ = true;
    if (!waiting_ || !chunks_.empty()) return;
    deliver = std::move(waiting_);
    waiting_ = nullptr;
  }
  deliver(std::nullopt);
}

bool ChunkQueue::closed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return closed_;
}

void ChunkQueue::Next(Deliver deliver) {
  std::optional<std::string> chunk;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!chunks_.empty() && !closed_) {
      chunk = std::move(chunks_.front());
      chunks_.pop_front();
    } else if (!finished_ && !closed_) {
      waiting_ = std::move(deliver);
      return;
    }
  }
  deliver(std::move(chunk));
}

void ChunkQueue::Close() {
  Deliver deliver;
  std::function<void()> on_close;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return;
    closed_ = true;
    chunks_.clear();
    deliver = std::move(waiting_);
    waiting_ = nullptr;
    on_close = std::move(on_close_);
  }
  if (on_close) on_close();
  if (deliver) deliver(std::nullopt);
}

std::string SseMessage(std::string_view event, std::string_view data) {
  std::string out;
  if (!event.empty()) out = StrCat("event: ", event, "\n");
  for (absl::string_view line : absl::StrSplit(ToAbsl(data), '\n')) {
    out += StrCat("data: ", std::string_view(line.data(), line.size()), "\n");
  }
  out += "\n";
  return out;
}

}  // namespace inferd
