#include "api/multipart.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "common/strings.h"

namespace inferd {
namespace {

std::string Lower(std::string_view s) { return absl::AsciiStrToLower(ToAbsl(s)); }

std::string_view Trim(std::string_view s) { return ToStd(absl::StripAsciiWhitespace(ToAbsl(s))); }

// Value of `key=` in a header's ;-separated parameters, unquoted.
std::optional<std::string> HeaderParameter(std::string_view header, std::string_view key) {
  size_t pos = 0;
  while ((pos = header.find(';', pos)) != std::string_view::npos) {
    ++pos;
    std::string_view rest = header.substr(pos);
    const size_t start = rest.find_first_not_of(" \t");
    if (start == std::string_view::npos) break;
    rest.remove_prefix(start);
    if (Lower(rest.substr(0, key.size())) != key || rest.size() <= key.size() ||
        rest[key.size()] != '=') {
      continue;
    }
    rest.remove_prefix(key.size() + 1);
    if (!rest.empty() && rest.front() == '"') {
      const size_t close = rest.find('"', 1);
      if (close == std::string_view::npos) return std::nullopt;
      return std::string(rest.substr(1, close - 1));
    }
    return std::string(Trim(rest.substr(0, rest.find(';'))));
  }
  return std::nullopt;
}

}  // namespace

absl::StatusOr<std::optional<std::string>> MultipartBoundary(std::string_view content_type) {
  const std::string type = Lower(Trim(content_type.substr(0, content_type.find(';'))));
  if (type != "multipart/form-data") return std::optional<std::string>();
  std::optional<std::string> boundary = HeaderParameter(content_type, "boundary");
  if (!boundary || boundary->empty() || boundary->size() > 70) {
    return absl::InvalidArgumentError(
        "Content-Type multipart/form-data needs a boundary parameter (1..70 characters)");
  }
  return boundary;
}

absl::StatusOr<std::vector<MultipartPart>> ParseMultipart(std::string_view body,
                                                          std::string_view boundary) {
  const std::string delimiter = StrCat("--", boundary);
  std::vector<MultipartPart> parts;
  size_t pos = body.find(delimiter);
  if (pos == std::string_view::npos) {
    return absl::InvalidArgumentError("multipart body: no boundary line");
  }
  while (true) {
    pos += delimiter.size();
    if (body.substr(pos, 2) == "--") return parts;  // closing delimiter
    if (body.substr(pos, 2) != "\r\n") {
      return absl::InvalidArgumentError("multipart body: boundary line not followed by CRLF");
    }
    pos += 2;
    const size_t headers_end = body.find("\r\n\r\n", pos);
    const size_t next = body.find(StrCat("\r\n", delimiter), pos);
    if (next == std::string_view::npos) {
      return absl::InvalidArgumentError("multipart body: missing closing boundary");
    }
    MultipartPart part;
    size_t content_start;
    if (body.substr(pos, 2) == "\r\n") {
      content_start = pos + 2;  // a part without headers
    } else {
      if (headers_end == std::string_view::npos || headers_end > next) {
        return absl::InvalidArgumentError("multipart body: part headers not terminated");
      }
      std::string_view headers = body.substr(pos, headers_end - pos);
      size_t line_start = 0;
      while (line_start <= headers.size()) {
        size_t line_end = headers.find("\r\n", line_start);
        if (line_end == std::string_view::npos) line_end = headers.size();
        std::string_view line = headers.substr(line_start, line_end - line_start);
        const size_t colon = line.find(':');
        if (colon != std::string_view::npos) {
          const std::string name = Lower(Trim(line.substr(0, colon)));
          std::string_view value = Trim(line.substr(colon + 1));
          if (name == "content-disposition") {
            part.name = HeaderParameter(value, "name").value_or("");
            part.filename = HeaderParameter(value, "filename").value_or("");
          } else if (name == "content-type") {
            part.content_type = Lower(Trim(value.substr(0, value.find(';'))));
          }
        }
        line_start = line_end + 2;
      }
      content_start = headers_end + 4;
    }
    part.body = std::string(body.substr(content_start, next - content_start));
    parts.push_back(std::move(part));
    pos = next + 2;
  }
}

}  // namespace inferd
