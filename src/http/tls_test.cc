// HTTPS end to end inside one process: the HttpServer with a certificate
// made by the openssl tool, and the HttpClient posting to it.

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "absl/synchronization/mutex.h"
#include "boost/asio.hpp"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "http/http_client.h"
#include "http/http_server.h"
#include "http/tls_context.h"

namespace inferd {
namespace {

using ::testing::HasSubstr;

namespace fs = std::filesystem;

// A folder of PEM files made once for the whole test binary.
class Certificates {
 public:
  static const Certificates& Get() {
    static const Certificates* certificates = new Certificates();
    return *certificates;
  }
  std::string Path(const std::string& name) const { return (dir_ / name).string(); }
  bool ok() const { return ok_; }

 private:
  Certificates() {
    dir_ = fs::temp_directory_path() / ("inferd-tls-test-" + std::to_string(getpid()));
    fs::create_directories(dir_);
    const std::string d = dir_.string();
    // A self-signed certificate for 127.0.0.1 and localhost; a second one
    // (another key) that nobody trusts; a certificate for another name.
    ok_ = Run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
              "-keyout " + d + "/server.key -out " + d + "/server.crt -days 2 "
              "-subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1") &&
          Run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
              "-keyout " + d + "/other.key -out " + d + "/other.crt -days 2 "
              "-subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1") &&
          Run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
              "-keyout " + d + "/elsewhere.key -out " + d + "/elsewhere.crt -days 2 "
              "-subj /CN=elsewhere.example -addext subjectAltName=DNS:elsewhere.example");
    std::ofstream(d + "/garbage.pem") << "not a certificate\n";
  }
  static bool Run(const std::string& command) {
    return std::system((command + " >/dev/null 2>&1").c_str()) == 0;
  }
  fs::path dir_;
  bool ok_ = false;
};

class TlsServerTest : public ::testing::Test {
 protected:
  void Start(const std::string& cert, const std::string& key) {
    const Certificates& c = Certificates::Get();
    ASSERT_TRUE(c.ok()) << "the openssl tool could not make the test certificates";
    routes_.Add("POST", "/hook", [this](HttpRequest&& request, Responder respond) {
      absl::MutexLock lock(&mu_);
      body_ = request.body;
      respond(JsonBody(200, "{}"));
    });
    routes_.Add("POST", "/moved", [](HttpRequest&&, Responder respond) {
      HttpResponse moved = JsonBody(302, "{}");
      moved.headers.emplace_back("Location", "/hook");
      respond(std::move(moved));
    });
    HttpServer::Options options;
    options.host = "127.0.0.1";
    options.port = 0;
    options.io_threads = 1;
    options.access_log = false;
    options.tls.cert_file = c.Path(cert);
    options.tls.key_file = c.Path(key);
    absl::StatusOr<std::unique_ptr<HttpServer>> server = HttpServer::Create(options, &routes_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    server_->Start();
  }
  void TearDown() override {
    if (server_) server_->Shutdown(absl::Seconds(5));
  }
  std::string Url(const std::string& host, const std::string& path) const {
    return "https://" + host + ":" + std::to_string(server_->port()) + path;
  }
  absl::Status Post(const std::string& url, const std::string& ca_file) {
    HttpClient::Options options;
    options.timeout = absl::Seconds(10);
    options.ca_file = ca_file;
    absl::StatusOr<std::unique_ptr<HttpClient>> client = HttpClient::Create(options);
    if (!client.ok()) return client.status();
    HttpPost post;
    post.url = url;
    post.body = R"({"n":1})";
    return (*client)->Post(post);
  }

  RouteTable routes_;
  std::unique_ptr<HttpServer> server_;
  absl::Mutex mu_;
  std::string body_;
};

TEST_F(TlsServerTest, AnHttpsRoundTripWithTheCertificateTrusted) {
  Start("server.crt", "server.key");
  ASSERT_TRUE(server_->tls());
  const std::string ca = Certificates::Get().Path("server.crt");
  ASSERT_TRUE(Post(Url("127.0.0.1", "/hook"), ca).ok());
  absl::MutexLock lock(&mu_);
  EXPECT_EQ(body_, R"({"n":1})");
}

TEST_F(TlsServerTest, TheClientRefusesAnUntrustedOrMisnamedCertificate) {
  Start("server.crt", "server.key");
  absl::Status untrusted = Post(Url("127.0.0.1", "/hook"), Certificates::Get().Path("other.crt"));
  EXPECT_TRUE(absl::IsUnavailable(untrusted)) << untrusted;
  EXPECT_THAT(std::string(untrusted.message()), HasSubstr("TLS"));
  absl::Status system_only = Post(Url("localhost", "/hook"), "");
  EXPECT_TRUE(absl::IsUnavailable(system_only)) << system_only;
  absl::MutexLock lock(&mu_);
  EXPECT_EQ(body_, "");  // nothing was sent to a server that was not verified
}

TEST_F(TlsServerTest, TheCertificateMustNameTheHost) {
  Start("elsewhere.crt", "elsewhere.key");
  absl::Status status =
      Post(Url("127.0.0.1", "/hook"), Certificates::Get().Path("elsewhere.crt"));
  EXPECT_TRUE(absl::IsUnavailable(status)) << status;
}

TEST_F(TlsServerTest, RedirectsAreNotFollowed) {
  Start("server.crt", "server.key");
  absl::Status status = Post(Url("127.0.0.1", "/moved"), Certificates::Get().Path("server.crt"));
  EXPECT_TRUE(absl::IsUnavailable(status)) << status;
  EXPECT_THAT(std::string(status.message()), HasSubstr("answered 302"));
  absl::MutexLock lock(&mu_);
  EXPECT_EQ(body_, "");
}

TEST_F(TlsServerTest, PlainHttpToTheTlsPortGetsA400AndTheServerGoesOn) {
  Start("server.crt", "server.key");
  HttpPost post;
  post.url = "http://127.0.0.1:" + std::to_string(server_->port()) + "/hook";
  absl::Status plain = SendHttpPost(post, absl::Seconds(10));
  EXPECT_TRUE(absl::IsUnavailable(plain)) << plain;
  EXPECT_THAT(std::string(plain.message()), HasSubstr("answered 400"));
  // With a body larger than what the server reads before it answers: the
  // client still gets the answer, not a reset.
  post.body.assign(200 * 1024, 'x');
  plain = SendHttpPost(post, absl::Seconds(10));
  EXPECT_THAT(std::string(plain.message()), HasSubstr("answered 400"));
  EXPECT_TRUE(Post(Url("127.0.0.1", "/hook"), Certificates::Get().Path("server.crt")).ok());
}

TEST_F(TlsServerTest, AClientThatSaysNothingOrGarbageDoesNotStopTheServer) {
  Start("server.crt", "server.key");
  namespace asio = boost::asio;
  asio::io_context io;
  asio::ip::tcp::socket silent(io), garbage(io);
  const asio::ip::tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), server_->port());
  silent.connect(endpoint);
  garbage.connect(endpoint);
  // A TLS record header announcing a handshake, then nonsense.
  const unsigned char bytes[] = {0x16, 0x03, 0x01, 0x00, 0x05, 1, 2, 3, 4, 5};
  asio::write(garbage, asio::buffer(bytes));
  EXPECT_TRUE(Post(Url("127.0.0.1", "/hook"), Certificates::Get().Path("server.crt")).ok());
}

TEST(TlsContextTest, BadFilesAreClearStartupErrors) {
  const Certificates& c = Certificates::Get();
  ASSERT_TRUE(c.ok());
  struct Case {
    std::string cert, key, client_ca;
    const char* mentions;
  };
  const Case cases[] = {
      {c.Path("missing.crt"), c.Path("server.key"), "", "--tls-cert"},
      {c.Path("server.crt"), c.Path("missing.key"), "", "--tls-key"},
      {c.Path("garbage.pem"), c.Path("server.key"), "", "not a PEM certificate"},
      {c.Path("server.crt"), c.Path("garbage.pem"), "", "not an unencrypted PEM private key"},
      {c.Path("server.crt"), c.Path("other.key"), "", "is not the key of the certificate"},
      {c.Path("server.crt"), c.Path("server.key"), c.Path("garbage.pem"), "--tls-client-ca"},
      {c.Path("server.crt"), "", "", "needs both"},
  };
  for (const Case& bad : cases) {
    TlsOptions options{bad.cert, bad.key, bad.client_ca};
    absl::StatusOr<std::unique_ptr<boost::asio::ssl::context>> context =
        MakeServerTlsContext(options);
    ASSERT_FALSE(context.ok()) << bad.mentions;
    EXPECT_TRUE(absl::IsInvalidArgument(context.status()));
    EXPECT_THAT(std::string(context.status().message()), HasSubstr(bad.mentions));
  }
  TlsOptions good{c.Path("server.crt"), c.Path("server.key"), c.Path("server.crt")};
  EXPECT_TRUE(MakeServerTlsContext(good).ok());
}

TEST(TlsContextTest, ValidityProblemsNameTheFileAndTheDate) {
  const Certificates& c = Certificates::Get();
  ASSERT_TRUE(c.ok());
  absl::StatusOr<CertificateValidity> validity = ReadCertificateValidity(c.Path("server.crt"));
  ASSERT_TRUE(validity.ok()) << validity.status();
  EXPECT_LT(validity->not_before, absl::Now() + absl::Minutes(1));
  EXPECT_GT(validity->not_after, absl::Now() + absl::Hours(24));
  EXPECT_EQ(ValidityProblem("f.crt", *validity, absl::Now()), "");
  const std::string expired =
      ValidityProblem("f.crt", *validity, validity->not_after + absl::Seconds(1));
  EXPECT_THAT(expired, HasSubstr("f.crt expired on " + validity->not_after_text));
  const std::string early =
      ValidityProblem("f.crt", *validity, validity->not_before - absl::Seconds(1));
  EXPECT_THAT(early, HasSubstr("f.crt is not valid before " + validity->not_before_text));
  EXPECT_FALSE(ReadCertificateValidity(c.Path("garbage.pem")).ok());
}

}  // namespace
}  // namespace inferd
