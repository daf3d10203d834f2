#include "api/docs_api.h"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <utility>

#include "common/strings.h"

namespace inferd {
namespace {

// The files of swagger-ui-dist the page uses; nothing else under the
// assets folder is served.
struct AssetFile {
  std::string_view name;
  std::string_view content_type;
};
constexpr AssetFile kAssetFiles[] = {
    {"swagger-ui.css", "text/css; charset=utf-8"},
    {"swagger-ui-bundle.js", "text/javascript; charset=utf-8"},
    {"favicon-32x32.png", "image/png"},
    {"favicon-16x16.png", "image/png"},
};

// The page: Swagger UI on /openapi.json. "Try it out" sends requests to
// this same server, so no CORS is needed.
constexpr std::string_view kPage = R"html(<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>inferd API</title>
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
  <link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png" sizes="32x32">
  <link rel="icon" type="image/png" href="/docs/assets/favicon-16x16.png" sizes="16x16">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/assets/swagger-ui-bundle.js"></script>
  <script>
    window.ui = SwaggerUIBundle({
      url: "/openapi.json",
      dom_id: "#swagger-ui",
      deepLinking: true,
      docExpansion: "list",
      defaultModelsExpandDepth: 0,
      presets: [SwaggerUIBundle.presets.apis],
    });
  </script>
</body>
</html>
)html";

}  // namespace

DocsApi::DocsApi(Options options) : options_(std::move(options)) {
  for (const AssetFile& file : kAssetFiles) {
    const std::string path = StrCat(options_.assets_dir, "/", file.name);
    std::ifstream in(path, std::ios::binary);
    std::ostringstream body;
    if (in) body << in.rdbuf();
    if (!in || body.str().empty()) {
      assets_missing_ = StrCat(path, " not found");
      assets_.clear();
      return;
    }
    assets_.emplace(std::string(file.name),
                    File{std::string(file.content_type), std::move(body).str()});
  }
}

HttpResponse DocsApi::Missing() const {
  return JsonError(
      503, StrCat("the API page is not installed (", assets_missing_,
                        "): build inferd with npm reachable, which puts swagger-ui-dist's "
                        "files in docs-ui/ beside the binary, or pass --docs-assets DIR; the "
                        "OpenAPI document is served at /openapi.json all the same"));
}

HttpResponse DocsApi::Document() const {
  return JsonBody(200, options_.document->json());
}

HttpResponse DocsApi::Page() const {
  if (!assets_missing_.empty()) return Missing();
  HttpResponse response;
  response.content_type = "text/html; charset=utf-8";
  response.body = std::string(kPage);
  return response;
}

void DocsApi::Asset(const HttpRequest& request, Responder respond) const {
  const std::string& name = request.param("file");
  const bool known = std::any_of(std::begin(kAssetFiles), std::end(kAssetFiles),
                                 [&name](const AssetFile& file) { return file.name == name; });
  if (!known) return respond(JsonError(404, StrCat("no API page asset \"", name, "\"")));
  if (!assets_missing_.empty()) return respond(Missing());
  const File& file = assets_.find(name)->second;
  HttpResponse response;
  response.content_type = file.content_type;
  response.headers.emplace_back("Cache-Control", "public, max-age=3600");
  response.body = file.body;
  respond(std::move(response));
}

}  // namespace inferd
