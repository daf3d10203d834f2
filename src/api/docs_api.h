#pragma once

// The API's own documentation, served by the server itself:
//
//   GET /openapi.json          the OpenAPI 3.1 document (api/openapi_document.h)
//   GET /docs                  a browsable page of it (Swagger UI)
//   GET /docs/assets/{file}    the page's scripts, styles and icons
//
// The page's assets are swagger-ui-dist's files, which the build installs
// from npm into docs-ui/ beside the binary (scripts/install-docs-ui.sh); no
// CDN is involved. They are read once at start-up from `assets_dir`; when
// they are missing the page and its assets answer 503 with a JSON message
// saying what to do, and everything else (the document included) works.
//
// Thread-safe after construction.

#include <map>
#include <memory>
#include <string>

#include "api/openapi_document.h"
#include "http/route_table.h"

namespace inferd {

class DocsApi {
 public:
  struct Options {
    const OpenApiDocument* document = nullptr;  // not owned; Finish()ed before serving
    std::string assets_dir;                     // swagger-ui-dist's files
  };
  // Reads the assets; never fails (missing assets are reported by the page).
  explicit DocsApi(Options options);

  // Empty when the page's assets were found; otherwise what is missing.
  const std::string& assets_missing() const { return assets_missing_; }

  HttpResponse Document() const;
  HttpResponse Page() const;
  void Asset(const HttpRequest& request, Responder respond) const;

 private:
  struct File {
    std::string content_type;
    std::string body;
  };

  HttpResponse Missing() const;

  const Options options_;
  std::map<std::string, File, std::less<>> assets_;
  std::string assets_missing_;
};

}  // namespace inferd
