#pragma once

// ChunkQueue: a ResponseStream fed by a producer that pushes chunks as they
// happen (job status changes, generated tokens). Push() and Finish() never
// block, so a producer may call them from a thread that must not wait (the
// job store's writer, a scheduler thread). Unbounded: producers here send a
// handful of small events.
// Thread-safe.

#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "http/http_message.h"

namespace inferd {

class ChunkQueue : public ResponseStream {
 public:
  // `on_close` runs once when the client goes away (see Close()), so the
  // producer can unsubscribe. Optional.
  explicit ChunkQueue(std::function<void()> on_close = nullptr);

  // Appends a chunk; ignored after Finish() or Close(). Empty chunks are
  // dropped.
  void Push(std::string chunk);
  // No more chunks: the stream ends after those already pushed.
  void Finish();
  bool closed() const;

  void Next(Deliver deliver) override;
  void Close() override;

 private:
  mutable std::mutex mu_;
  std::deque<std::string> chunks_;
  bool finished_ = false;
  bool closed_ = false;
  Deliver waiting_;  // a Next() that found nothing yet
  std::function<void()> on_close_;
};

// One Server-Sent Events message: "event: <event>\ndata: <data>\n\n", with a
// multi-line `data` split over several data: lines. `event` may be empty.
std::string SseMessage(std::string_view event, std::string_view data);

}  // namespace inferd
