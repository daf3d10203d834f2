#pragma once

// OpenSSL contexts for the HTTP server (HTTPS, optionally mutual TLS) and the
// HTTP client (https:// webhooks, peer verified). Internal to http/: the
// Asio SSL types stay behind the server and the client.
//
// The server context accepts TLS 1.2 and 1.3 only. Loading checks what a
// user can get wrong and says so, naming the file: a missing or unreadable
// file, a file that holds no PEM certificate or key, a key that does not
// belong to the certificate. A certificate outside its validity period is
// not an error (a server with a lapsed certificate should still come up
// and be fixed) but a warning naming the file and the date; see
// CertificateValidity.
//
// Thread-safety: a finished context is shared by every connection (OpenSSL
// makes SSL objects from one SSL_CTX on any thread).

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "boost/asio/ssl/context.hpp"
#include "http/tls_options.h"

namespace inferd {

// The validity period of the first certificate in a PEM file.
struct CertificateValidity {
  absl::Time not_before;
  absl::Time not_after;
  std::string not_before_text;  // as OpenSSL prints it: "Jan  2 00:00:00 2020 GMT"
  std::string not_after_text;
  std::string subject;          // one line, e.g. "CN = localhost"
};
absl::StatusOr<CertificateValidity> ReadCertificateValidity(const std::string& file);

// What is wrong with the validity period at `now`, for a warning: "" when
// the certificate is valid, else e.g. "TLS certificate FILE expired on DATE".
std::string ValidityProblem(const std::string& file, const CertificateValidity& validity,
                            absl::Time now);

// Loads the certificate chain and key (and the client CAs, when given).
// InvalidArgument naming the flag and the file when something is wrong.
// Logs a warning when the certificate is expired or not yet valid.
absl::StatusOr<std::unique_ptr<boost::asio::ssl::context>> MakeServerTlsContext(
    const TlsOptions& options);

// A client context that verifies the peer against the system's trusted CAs
// (and `extra_ca_file`, when not empty).
absl::StatusOr<std::unique_ptr<boost::asio::ssl::context>> MakeClientTlsContext(
    const std::string& extra_ca_file);

}  // namespace inferd
