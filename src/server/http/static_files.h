// The web panel's files (web/dist, built by Vite) on the http listener.
//
// Contract:
// - StaticFiles::get(path) maps a decoded URL path to a file under the root directory:
//   files under /assets/ (content-hashed names) are cached for a year as immutable; every
//   other file, and index.html, must be revalidated (no-cache).
// - A path that names no file and does not look like a file (no known static extension, not
//   under /assets/) is a client-side route of the single-page app: it gets index.html.
// - Paths with a dot-segment, a backslash, a NUL or a hidden segment are refused (kNotFound),
//   and a file reached through a symlink out of the root is never served.
// - /api/ paths never fall back to index.html: the API answers its own 404 in JSON.
// - Reads the disk: call it off the I/O threads (add_static_routes uses the BlockingPool).
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"
#include "net/blocking_pool.h"
#include "server/http/http_server.h"

namespace posthouse::http {

struct StaticFile {
  std::string body;
  std::string content_type;
  std::string cache_control;
};

class StaticFiles {
 public:
  explicit StaticFiles(std::string root);
  base::Result<StaticFile> get(std::string_view path) const;
  const std::string& root() const { return root_; }

 private:
  base::Result<StaticFile> read(const std::string& rel, bool immutable) const;
  std::string root_;
};

// Content-Type by file extension (application/octet-stream when unknown).
std::string_view content_type_for(std::string_view path);

// Serves `root` as the Router's fallback for GET/HEAD. An empty root serves nothing.
void add_static_routes(Router& router, const std::string& root, net::BlockingPool* pool);

}  // namespace posthouse::http
