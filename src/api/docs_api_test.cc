#include "api/docs_api.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <unistd.h>

#include "gtest/gtest.h"

namespace inferd {
namespace {

class DocsApiTest : public ::testing::Test {
 protected:
  DocsApiTest() {
    dir_ = std::filesystem::temp_directory_path() /
           ("inferd-docs-api-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    document_.Add("GET", "/v2/health/live",
                  {.tag = "KServe v2", .summary = "Liveness", .response = {.schema = "Live"}});
    document_.Finish();
  }
  ~DocsApiTest() override { std::filesystem::remove_all(dir_); }

  void WriteAssets() {
    for (const char* name :
         {"swagger-ui.css", "swagger-ui-bundle.js", "favicon-32x32.png", "favicon-16x16.png"}) {
      std::ofstream(dir_ / name) << "content of " << name;
    }
  }

  HttpResponse Asset(const DocsApi& api, const std::string& file) {
    HttpRequest request;
    request.path_params["file"] = file;
    HttpResponse response;
    api.Asset(request, [&response](HttpResponse r) { response = std::move(r); });
    return response;
  }

  std::filesystem::path dir_;
  OpenApiDocument document_{{.version = "1.0"}};
};

TEST_F(DocsApiTest, ServesTheDocument) {
  DocsApi api({.document = &document_, .assets_dir = dir_.string()});
  const HttpResponse response = api.Document();
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.content_type, "application/json");
  EXPECT_NE(response.body.find(R"("openapi":"3.1.0")"), std::string::npos);
  EXPECT_NE(response.body.find(R"("/v2/health/live")"), std::string::npos);
}

TEST_F(DocsApiTest, ServesThePageAndItsAssetsWhenInstalled) {
  WriteAssets();
  DocsApi api({.document = &document_, .assets_dir = dir_.string()});
  EXPECT_EQ(api.assets_missing(), "");
  const HttpResponse page = api.Page();
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.content_type, "text/html; charset=utf-8");
  EXPECT_NE(page.body.find("/docs/assets/swagger-ui-bundle.js"), std::string::npos);
  EXPECT_NE(page.body.find("\"/openapi.json\""), std::string::npos);
  const HttpResponse script = Asset(api, "swagger-ui-bundle.js");
  EXPECT_EQ(script.status, 200);
  EXPECT_EQ(script.content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(script.body, "content of swagger-ui-bundle.js");
  EXPECT_EQ(Asset(api, "swagger-ui.css").content_type, "text/css; charset=utf-8");
}

TEST_F(DocsApiTest, OnlyThePagesOwnFilesAreServed) {
  WriteAssets();
  std::ofstream(dir_ / "secret.txt") << "not an asset";
  DocsApi api({.document = &document_, .assets_dir = dir_.string()});
  EXPECT_EQ(Asset(api, "secret.txt").status, 404);
  EXPECT_EQ(Asset(api, "../swagger-ui.css").status, 404);
  EXPECT_EQ(Asset(api, "").status, 404);
}

TEST_F(DocsApiTest, MissingAssetsAre503WithWhatToDoAndTheDocumentStillWorks) {
  std::ofstream(dir_ / "swagger-ui.css") << "only one file";
  DocsApi api({.document = &document_, .assets_dir = dir_.string()});
  EXPECT_NE(api.assets_missing().find("swagger-ui-bundle.js not found"), std::string::npos);
  const HttpResponse page = api.Page();
  EXPECT_EQ(page.status, 503);
  EXPECT_EQ(page.content_type, "application/json");
  EXPECT_NE(page.body.find("--docs-assets"), std::string::npos);
  EXPECT_NE(page.body.find("/openapi.json"), std::string::npos);
  EXPECT_EQ(Asset(api, "swagger-ui.css").status, 503);
  EXPECT_EQ(api.Document().status, 200);
}

}  // namespace
}  // namespace inferd
