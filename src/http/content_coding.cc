#include "http/content_coding.h"

#include <zlib.h>

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "common/strings.h"

namespace inferd {
namespace {

// zlib's windowBits: 15 with 16 added for the gzip wrapper.
int WindowBits(ContentCoding coding) { return coding == ContentCoding::kGzip ? 15 + 16 : 15; }

}  // namespace

absl::StatusOr<ContentCoding> ParseContentEncoding(std::string_view value) {
  const std::string coding = absl::AsciiStrToLower(absl::StripAsciiWhitespace(ToAbsl(value)));
  if (coding.empty() || coding == "identity") return ContentCoding::kIdentity;
  if (coding == "gzip" || coding == "x-gzip") return ContentCoding::kGzip;
  if (coding == "deflate") return ContentCoding::kDeflate;
  return absl::UnimplementedError(
      StrCat("Content-Encoding \"", std::string(value),
             "\" is not supported (supported: gzip, deflate, identity)"));
}

absl::StatusOr<std::string> DecodeBody(ContentCoding coding, std::string body, size_t max_bytes) {
  if (coding == ContentCoding::kIdentity) return body;
  z_stream z{};
  if (inflateInit2(&z, WindowBits(coding)) != Z_OK) {
    return absl::InternalError("zlib could not start inflating");
  }
  std::string out;
  z.next_in = reinterpret_cast<Bytef*>(body.data());
  z.avail_in = static_cast<uInt>(body.size());
  char chunk[64 << 10];
  int result = Z_OK;
  while (result != Z_STREAM_END) {
    z.next_out = reinterpret_cast<Bytef*>(chunk);
    z.avail_out = sizeof(chunk);
    result = inflate(&z, Z_NO_FLUSH);
    if (result != Z_OK && result != Z_STREAM_END) {
      const std::string why = z.msg != nullptr ? z.msg : "truncated data";
      inflateEnd(&z);
      return absl::InvalidArgumentError(StrCat("request body is not valid ",
                                               ContentCodingName(coding), " data: ", why));
    }
    const size_t produced = sizeof(chunk) - z.avail_out;
    if (out.size() + produced > max_bytes) {
      inflateEnd(&z);
      return absl::OutOfRangeError(
          StrCat("request body inflates to more than --max-body-bytes (", max_bytes, " bytes)"));
    }
    out.append(chunk, produced);
    if (result == Z_OK && produced == 0 && z.avail_in == 0) {
      inflateEnd(&z);
      return absl::InvalidArgumentError(
          StrCat("request body is not valid ", ContentCodingName(coding), " data: truncated"));
    }
  }
  inflateEnd(&z);
  return out;
}

std::optional<ContentCoding> ChooseResponseCoding(std::string_view accept_encoding) {
  double gzip = 0, deflate = 0;
  for (absl::string_view item : absl::StrSplit(ToAbsl(accept_encoding), ',')) {
    std::vector<absl::string_view> parts = absl::StrSplit(item, ';');
    const std::string name = absl::AsciiStrToLower(absl::StripAsciiWhitespace(parts[0]));
    double q = 1;
    for (size_t i = 1; i < parts.size(); ++i) {
      absl::string_view param = absl::StripAsciiWhitespace(parts[i]);
      if (param.size() > 2 && (param[0] == 'q' || param[0] == 'Q') && param[1] == '=') {
        if (!absl::SimpleAtod(param.substr(2), &q)) q = 0;
      }
    }
    if (name == "gzip" || name == "x-gzip") gzip = q;
    if (name == "deflate") deflate = q;
  }
  if (gzip > 0 && gzip >= deflate) return ContentCoding::kGzip;
  if (deflate > 0) return ContentCoding::kDeflate;
  return std::nullopt;
}

std::string EncodeBody(ContentCoding coding, std::string_view body) {
  if (coding == ContentCoding::kIdentity) return std::string(body);
  z_stream z{};
  deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, WindowBits(coding), 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, body.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(body.data()));
  z.avail_in = static_cast<uInt>(body.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

std::string_view ContentCodingName(ContentCoding coding) {
  switch (coding) {
    case ContentCoding::kGzip: return "gzip";
    case ContentCoding::kDeflate: return "deflate";
    case ContentCoding::kIdentity: return "identity";
  }
  return "identity";
}

}  // namespace inferd
