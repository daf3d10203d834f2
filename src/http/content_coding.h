#pragma once

// HTTP content codings of request and response bodies (RFC 9110 8.4):
// gzip and deflate (zlib format) through zlib, as Triton's clients send
// them with Content-Encoding and ask for them with Accept-Encoding.
//
// Inflating is bounded: a body that would inflate past the limit stops as
// soon as it passes it (a zip bomb costs at most the limit in memory and
// time). Stateless; safe to call from any thread.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace inferd {

enum class ContentCoding { kIdentity, kGzip, kDeflate };

// The coding a Content-Encoding value names ("gzip", "x-gzip", "deflate",
// "identity" or empty, any case). Unimplemented naming the value for any
// other coding, or several at once (the server answers 415).
absl::StatusOr<ContentCoding> ParseContentEncoding(std::string_view value);

// `body` decoded from `coding`. OutOfRange (413) once the decoded size would
// pass `max_bytes`; InvalidArgument (400) for data that is not valid gzip or
// deflate.
absl::StatusOr<std::string> DecodeBody(ContentCoding coding, std::string body, size_t max_bytes);

// The coding to answer with for an Accept-Encoding value: gzip or deflate
// when the client accepts it (q > 0; gzip preferred at equal q), nullopt for
// identity.
std::optional<ContentCoding> ChooseResponseCoding(std::string_view accept_encoding);

// `body` encoded with gzip or deflate.
std::string EncodeBody(ContentCoding coding, std::string_view body);

// "gzip" or "deflate" (the Content-Encoding value).
std::string_view ContentCodingName(ContentCoding coding);

}  // namespace inferd
