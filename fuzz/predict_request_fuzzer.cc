// Fuzzes the KServe v1 `:predict` body decoder: JSON instances and inputs,
// and multipart/form-data bodies. The first byte picks the Content-Type
// (JSON, multipart with a boundary taken from the next bytes, or text), so
// every decoding path is reached.

#include <cstddef>
#include <cstdint>
#include <string>

#include "api/predict_request.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t selector = data[0];
  std::string body(reinterpret_cast<const char*>(data + 1), size - 1);
  std::string content_type;
  switch (selector % 4) {
    case 0: break;  // no Content-Type: JSON
    case 1: content_type = "application/json"; break;
    case 2: {
      // The boundary is the body's first line, as a client would send it.
      const size_t end = body.find("\r\n");
      std::string boundary;
      if (body.size() > 2 && end != std::string::npos && end > 2) {
        boundary = body.substr(2, end - 2);
      }
      content_type = "multipart/form-data; boundary=" + boundary;
      break;
    }
    default: content_type = "text/plain"; break;
  }
  absl::StatusOr<inferd::PredictRequest> request =
      inferd::ParsePredictRequest(content_type, body);
  (void)request;
  return 0;
}
