#include "server/http/static_files.h"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/strings.h"

namespace posthouse::http {

namespace fs = std::filesystem;
using base::Errc;
using base::Error;

namespace {

constexpr std::string_view kImmutable = "public, max-age=31536000, immutable";
constexpr std::string_view kRevalidate = "no-cache";
// Bigger files are not part of a panel build; refusing them bounds memory per request.
constexpr std::uintmax_t kMaxFileBytes = 16u << 20;

struct Type {
  std::string_view ext, type;
};
constexpr Type kTypes[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".json", "application/json"},
    {".map", "application/json"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".jpg", "image/jpeg"},
    {".ico", "image/x-icon"},
    {".webp", "image/webp"},
    {".woff2", "font/woff2"},
    {".woff", "font/woff"},
    {".txt", "text/plain; charset=utf-8"},
    {".webmanifest", "application/manifest+json"},
};

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool looks_like_file(std::string_view path) {
  for (const auto& t : kTypes)
    if (ends_with(path, t.ext)) return true;
  return false;
}

Error not_found() { return Error(Errc::kNotFound, "not found"); }

}  // namespace

std::string_view content_type_for(std::string_view path) {
  for (const auto& t : kTypes)
    if (ends_with(path, t.ext)) return t.type;
  return "application/octet-stream";
}

StaticFiles::StaticFiles(std::string root) : root_(std::move(root)) {}

base::Result<StaticFile> StaticFiles::read(const std::string& rel, bool immutable) const {
  std::error_code ec;
  fs::path root = fs::canonical(root_, ec);
  if (ec) return Error(Errc::kUnavailable, "the web panel is not built (run make)");
  fs::path p = fs::canonical(root / rel, ec);
  if (ec) return not_found();
  // canonical() resolved every symlink: the file must still be inside the root.
  auto [r, f] = std::mismatch(root.begin(), root.end(), p.begin(), p.end());
  if (r != root.end()) return not_found();
  if (!fs::is_regular_file(p, ec) || ec) return not_found();
  auto size = fs::file_size(p, ec);
  if (ec || size > kMaxFileBytes) return not_found();
  std::ifstream in(p, std::ios::binary);
  if (!in) return not_found();
  std::ostringstream ss;
  ss << in.rdbuf();
  return StaticFile{ss.str(), std::string(content_type_for(p.string())),
                    std::string(immutable ? kImmutable : kRevalidate)};
}

base::Result<StaticFile> StaticFiles::get(std::string_view path) const {
  if (path.empty() || path[0] != '/') return not_found();
  if (path.substr(0, 5) == "/api/" || path == "/api") return not_found();
  if (path.find('\\') != std::string_view::npos || path.find('\0') != std::string_view::npos)
    return not_found();
  auto segs = base::split(path.substr(1), '/');
  std::string rel;
  for (std::size_t i = 0; i < segs.size(); ++i) {
    auto s = segs[i];
    if (s.empty()) {
      if (i + 1 == segs.size()) break;  // a trailing slash
      return not_found();
    }
    if (s[0] == '.') return not_found();  // "..", "." and hidden files
    if (!rel.empty()) rel += '/';
    rel += s;
  }
  bool asset = rel.rfind("assets/", 0) == 0;
  if (!rel.empty() && rel != "index.html") {
    auto f = read(rel, asset);
    if (f.ok() || f.error().code != Errc::kNotFound || asset || looks_like_file(rel)) return f;
  }
  return read("index.html", false);
}

void add_static_routes(Router& router, const std::string& root, net::BlockingPool* pool) {
  if (root.empty()) return;
  auto files = std::make_shared<StaticFiles>(root);
  router.set_fallback([files, pool](Request& req) -> boost::asio::awaitable<Response> {
    // By reference, like every BlockingPool caller: the work runs while this frame waits.
    const StaticFiles& fs = *files;
    auto f = co_await pool->run([&] { return fs.get(req.path); });
    if (!f) {
      if (f.error().code == Errc::kNotFound)
        co_return json_error(bhttp::status::not_found, "not_found", "not found");
      co_return json_error(bhttp::status::service_unavailable, "unavailable", f.error().message);
    }
    Response res = make_response(bhttp::status::ok, std::move(f->body), f->content_type);
    res.set(bhttp::field::cache_control, f->cache_control);
    if (f->content_type.rfind("text/html", 0) == 0) {
      // The panel loads only its own bundled files and is never framed.
      res.set("Content-Security-Policy",
              "default-src 'self'; img-src 'self' data: https:; style-src 'self'; "
              "object-src 'none'; base-uri 'none'; frame-ancestors 'none'");
      res.set("X-Frame-Options", "DENY");
      res.set("Referrer-Policy", "no-referrer");
    }
    co_return res;
  });
}

}  // namespace posthouse::http
