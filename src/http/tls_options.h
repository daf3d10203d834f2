#pragma once

// What the server needs to speak HTTPS: the certificate chain and private
// key files (PEM), and optionally the CAs whose client certificates it
// accepts (mutual TLS). A plain value type; http/tls_context.h turns it into
// an OpenSSL context. Thread-compatible.

#include <string>

namespace inferd {

struct TlsOptions {
  std::string cert_file;       // PEM: the server certificate, then intermediates
  std::string key_file;        // PEM: its private key (unencrypted)
  std::string client_ca_file;  // PEM CAs; set: every client must present a
                               // certificate they signed (mutual TLS)

  // HTTPS is on when a certificate is given (the key then is required).
  bool enabled() const { return !cert_file.empty() || !key_file.empty(); }
};

}  // namespace inferd
