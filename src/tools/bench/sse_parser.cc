#include "tools/bench/sse_parser.h"

#include <utility>

#include "common/strings.h"

namespace inferd::bench {

absl::Status SseParser::Feed(std::string_view bytes,
                             std::vector<SseEvent>* events) {
  size_t i = 0;
  if (after_cr_ && !bytes.empty() && bytes.front() == '\n') {
    i = 1;  // the "\n" of a "\r\n" split between two pieces
  }
  if (!bytes.empty()) after_cr_ = false;
  while (i < bytes.size()) {
    const size_t end = bytes.find_first_of("\r\n", i);
    if (end == std::string_view::npos) {
      line_.append(bytes.substr(i));
      break;
    }
    line_.append(bytes.substr(i, end - i));
    ProcessLine(line_, events);
    line_.clear();
    i = end + 1;
    if (bytes[end] == '\r') {
      if (i < bytes.size()) {
        if (bytes[i] == '\n') ++i;
      } else {
        after_cr_ = true;
      }
    }
  }
  if (line_.size() + event_.data.size() > max_event_bytes_) {
    return absl::ResourceExhaustedError(StrCat(
        "an event of the stream is larger than ", max_event_bytes_, " bytes"));
  }
  return absl::OkStatus();
}

bool SseParser::has_partial_event() const {
  return !line_.empty() || has_data_;
}

void SseParser::ProcessLine(std::string_view line,
                            std::vector<SseEvent>* events) {
  if (line.empty()) {
    if (has_data_) events->push_back(std::move(event_));
    event_ = SseEvent();
    has_data_ = false;
    return;
  }
  if (line.front() == ':') return;  // a comment, e.g. a keep-alive ping
  const size_t colon = line.find(':');
  std::string_view field = line.substr(0, colon);
  std::string_view value;
  if (colon != std::string_view::npos) {
    value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }
  if (field == "error") {
    event_.type = "error";
    field = "data";
  }
  if (field == "data") {
    if (has_data_) event_.data.push_back('\n');
    event_.data.append(value);
    has_data_ = true;
  } else if (field == "event") {
    event_.type = value.empty() ? "message" : std::string(value);
  }
}

}  // namespace inferd::bench
