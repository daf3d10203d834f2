#pragma once

// An incremental parser for `text/event-stream` bodies (server-sent events,
// as the WHATWG HTML standard defines the format): bytes go in as they come
// off the socket, in pieces of any size, and complete events come out.
//
// What it follows: lines end in "\n", "\r\n" or "\r" (also when the "\r" and
// "\n" arrive in different pieces); a line starting with ':' is a comment;
// "field: value" drops one space after the colon; "data" lines of one event
// are joined with "\n"; an empty line ends the event, and an event without
// data is not dispatched. "id" and "retry" are ignored: a benchmark never
// reconnects a stream. One addition: llama-server reports a failure inside a
// stream as a line "error: {...}" (a field the standard would ignore); such
// a line becomes an event of type "error" with the value as its data, so the
// failure is seen instead of the stream looking merely short.
//
// Why not a library: Debian 12 packages no C++ SSE client, and Beast only
// delivers the body bytes.
//
// Not thread-safe: one parser per response.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace inferd::bench {

struct SseEvent {
  std::string type = "message";  // the "event" field, when given
  std::string data;
};

class SseParser {
 public:
  // `max_event_bytes` bounds what one event may buffer (its unfinished line
  // and its data), so a server that never ends a line cannot grow the client
  // without bound.
  explicit SseParser(size_t max_event_bytes = 16u << 20)
      : max_event_bytes_(max_event_bytes) {}

  // Parses `bytes` and appends every event they complete to `events`.
  // ResourceExhausted once an event outgrows `max_event_bytes`; the parser
  // is unusable after that.
  absl::Status Feed(std::string_view bytes, std::vector<SseEvent>* events);

  // True when bytes of an unfinished line or event are buffered: a body that
  // ends here was cut off mid-event.
  bool has_partial_event() const;

 private:
  void ProcessLine(std::string_view line, std::vector<SseEvent>* events);

  size_t max_event_bytes_;
  std::string line_;       // the current line, without its terminator
  bool after_cr_ = false;  // the last byte seen was '\r'
  bool has_data_ = false;  // the current event has a data field
  SseEvent event_;         // the event being assembled
};

}  // namespace inferd::bench
