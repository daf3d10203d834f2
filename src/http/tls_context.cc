#include "http/tls_context.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>

#include "common/strings.h"
#include "spdlog/spdlog.h"

namespace inferd {
namespace {

namespace ssl = boost::asio::ssl;

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct X509Free {
  void operator()(X509* cert) const { X509_free(cert); }
};

// The reason OpenSSL gives for its last error, or `fallback`.
std::string OpenSslReason(const boost::system::error_code& ec) {
  std::string reason = ec ? ec.message() : "";
  unsigned long code = ERR_get_error();
  if (code != 0) {
    char text[256];
    ERR_error_string_n(code, text, sizeof(text));
    const char* why = ERR_reason_error_string(code);
    reason = why ? why : text;
  }
  ERR_clear_error();
  return reason.empty() ? "unknown OpenSSL error" : reason;
}

// OK when `file` can be opened for reading; else names the flag and why.
absl::Status Readable(std::string_view flag, const std::string& file) {
  std::ifstream in(file);
  if (!in) {
    return absl::InvalidArgumentError(
        StrCat(flag, " ", file, ": cannot read the file: ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

absl::Time ToTime(const ASN1_TIME* time) {
  std::tm tm{};
  if (ASN1_TIME_to_tm(time, &tm) != 1) return absl::InfinitePast();
  return absl::FromTimeT(timegm(&tm));
}

std::string Print(const ASN1_TIME* time) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  ASN1_TIME_print(bio.get(), time);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, size > 0 ? static_cast<size_t>(size) : 0);
}

std::string SubjectLine(X509* cert) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(bio.get(), X509_get_subject_name(cert), 0, XN_FLAG_ONELINE);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, size > 0 ? static_cast<size_t>(size) : 0);
}

}  // namespace

absl::StatusOr<CertificateValidity> ReadCertificateValidity(const std::string& file) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new_file(file.c_str(), "r"));
  if (!bio) {
    ERR_clear_error();
    return absl::InvalidArgumentError(StrCat(file, ": cannot read the file"));
  }
  std::unique_ptr<X509, X509Free> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) {
    ERR_clear_error();
    return absl::InvalidArgumentError(StrCat(file, ": holds no PEM certificate"));
  }
  CertificateValidity validity;
  validity.not_before = ToTime(X509_get0_notBefore(cert.get()));
  validity.not_after = ToTime(X509_get0_notAfter(cert.get()));
  validity.not_before_text = Print(X509_get0_notBefore(cert.get()));
  validity.not_after_text = Print(X509_get0_notAfter(cert.get()));
  validity.subject = SubjectLine(cert.get());
  return validity;
}

std::string ValidityProblem(const std::string& file, const CertificateValidity& validity,
                            absl::Time now) {
  if (now > validity.not_after) {
    return StrCat("TLS certificate ", file, " expired on ", validity.not_after_text,
                  ": clients will refuse it; renew it");
  }
  if (now < validity.not_before) {
    return StrCat("TLS certificate ", file, " is not valid before ",
                  validity.not_before_text, ": clients will refuse it until then");
  }
  return "";
}

absl::StatusOr<std::unique_ptr<ssl::context>> MakeServerTlsContext(const TlsOptions& options) {
  if (options.cert_file.empty() || options.key_file.empty()) {
    return absl::InvalidArgumentError(
        "HTTPS needs both --tls-cert and --tls-key (PEM files)");
  }
  if (absl::Status s = Readable("--tls-cert", options.cert_file); !s.ok()) return s;
  if (absl::Status s = Readable("--tls-key", options.key_file); !s.ok()) return s;
  auto context = std::make_unique<ssl::context>(ssl::context::tls_server);
  context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                       ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                       ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
  boost::system::error_code ec;
  context->use_certificate_chain_file(options.cert_file, ec);
  if (ec) {
    return absl::InvalidArgumentError(
        StrCat("--tls-cert ", options.cert_file,
               ": not a PEM certificate chain (", OpenSslReason(ec), ")"));
  }
  context->use_private_key_file(options.key_file, ssl::context::pem, ec);
  if (ec) {
    const std::string reason = OpenSslReason(ec);
    if (reason.find("mismatch") != std::string::npos) {
      return absl::InvalidArgumentError(
          StrCat("--tls-key ", options.key_file, " is not the key of the certificate in ",
                 options.cert_file));
    }
    return absl::InvalidArgumentError(
        StrCat("--tls-key ", options.key_file, ": not an unencrypted PEM private key (",
               reason, ")"));
  }
  if (SSL_CTX_check_private_key(context->native_handle()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError(
        StrCat("--tls-key ", options.key_file, " is not the key of the certificate in ",
               options.cert_file));
  }
  if (!options.client_ca_file.empty()) {
    if (absl::Status s = Readable("--tls-client-ca", options.client_ca_file); !s.ok()) return s;
    context->load_verify_file(options.client_ca_file, ec);
    if (ec) {
      return absl::InvalidArgumentError(
          StrCat("--tls-client-ca ", options.client_ca_file,
                 ": not a PEM file of CA certificates (", OpenSslReason(ec), ")"));
    }
    // Sent to clients as the CAs the server accepts.
    if (STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(options.client_ca_file.c_str())) {
      SSL_CTX_set_client_CA_list(context->native_handle(), names);
    }
    ERR_clear_error();
    context->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
  }

  absl::StatusOr<CertificateValidity> validity = ReadCertificateValidity(options.cert_file);
  if (!validity.ok()) {
    return absl::InvalidArgumentError(StrCat("--tls-cert ", validity.status().message()));
  }
  const std::string problem = ValidityProblem(options.cert_file, *validity, absl::Now());
  if (!problem.empty()) {
    spdlog::warn("{}", problem);
  } else {
    spdlog::info("TLS certificate {} ({}) valid until {}", options.cert_file,
                 validity->subject, validity->not_after_text);
  }
  return context;
}

absl::StatusOr<std::unique_ptr<ssl::context>> MakeClientTlsContext(
    const std::string& extra_ca_file) {
  auto context = std::make_unique<ssl::context>(ssl::context::tls_client);
  context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                       ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                       ssl::context::no_tlsv1_1);
  boost::system::error_code ec;
  context->set_default_verify_paths(ec);
  ERR_clear_error();  // a system without a CA bundle may still trust extra_ca_file
  if (!extra_ca_file.empty()) {
    if (absl::Status s = Readable("--webhook-ca", extra_ca_file); !s.ok()) return s;
    context->load_verify_file(extra_ca_file, ec);
    if (ec) {
      return absl::InvalidArgumentError(StrCat("--webhook-ca ", extra_ca_file,
                                               ": not a PEM file of CA certificates (",
                                               OpenSslReason(ec), ")"));
    }
  }
  context->set_verify_mode(ssl::verify_peer);
  return context;
}

}  // namespace inferd
