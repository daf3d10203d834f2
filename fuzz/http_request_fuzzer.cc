// Fuzzes the HTTP request path up to routing, as the server runs it: the
// Beast parser with the server's limits (header 64 KiB, body 1 MiB here)
// on raw bytes (request line, headers, chunked and Content-Length bodies),
// then the request target of what parsed.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "boost/beast/core/flat_buffer.hpp"
#include "boost/beast/http.hpp"
#include "http/request_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace bhttp = boost::beast::http;
  bhttp::request_parser<bhttp::string_body> parser;
  parser.body_limit(1 << 20);
  parser.header_limit(64 * 1024);
  parser.eager(true);
  boost::beast::error_code ec;
  size_t used = 0;
  while (used < size && !parser.is_done()) {
    const size_t n = parser.put(boost::asio::buffer(data + used, size - used), ec);
    if (ec == bhttp::error::need_more) break;
    if (ec) return 0;
    if (n == 0) break;
    used += n;
  }
  if (!parser.is_header_done()) return 0;
  const auto target = parser.get().target();
  absl::StatusOr<inferd::RequestTarget> parsed =
      inferd::ParseRequestTarget(std::string_view(target.data(), target.size()));
  (void)parsed;
  return 0;
}
