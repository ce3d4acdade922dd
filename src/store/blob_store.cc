#include "store/blob_store.h"

#include <fmt/format.h>
#include <openssl/evp.h>

#include "base/strings.h"

namespace posthouse::store {

using base::Errc;
using base::Error;

bool is_sha256_hex(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string BlobFiles::path_for(std::string_view sha) const {
  return fmt::format("{}/{}/{}/{}", root_, sha.substr(0, 2), sha.substr(2, 2), sha);
}

base::Status BlobFiles::write(std::string_view sha, std::string_view data,
                              std::set<std::string>* dirs) {
  if (!is_sha256_hex(sha)) return Error(Errc::kInternal, "bad blob name");
  std::string dir = fmt::format("{}/{}/{}", root_, sha.substr(0, 2), sha.substr(2, 2));
  std::vector<std::string> created;
  PH_CHECK(env_.make_dirs(dir, &created));
  // A new directory is durable only once its parent is synced.
  for (const auto& c : created) dirs->insert(c.substr(0, c.find_last_of('/')));
  std::string final_path = fmt::format("{}/{}", dir, sha);
  std::string tmp = final_path + ".tmp";
  {
    auto f = PH_TRY(env_.open_writable(tmp));
    auto st = f->append(data);
    if (st) st = f->sync();
    if (st) st = f->close();
    if (!st) {
      (void)env_.remove(tmp);
      return st;
    }
  }
  auto st = env_.rename(tmp, final_path);
  if (!st) {
    (void)env_.remove(tmp);
    return st;
  }
  dirs->insert(dir);
  return {};
}

base::Status BlobFiles::sync_dirs(const std::set<std::string>& dirs) {
  for (const auto& d : dirs) PH_CHECK(env_.sync_dir(d));
  return {};
}

base::Status BlobFiles::put(std::string_view sha, std::string_view data) {
  std::set<std::string> dirs;
  PH_CHECK(write(sha, data, &dirs));
  return sync_dirs(dirs);
}

base::Result<std::string> BlobFiles::read(std::string_view sha, uint64_t offset,
                                          uint64_t length) const {
  if (!is_sha256_hex(sha)) return Error(Errc::kInternal, "bad blob name");
  return env_.read(path_for(sha), offset, length);
}

base::Result<uint64_t> BlobFiles::size(std::string_view sha) const {
  if (!is_sha256_hex(sha)) return Error(Errc::kInternal, "bad blob name");
  return env_.file_size(path_for(sha));
}

base::Status BlobFiles::remove(std::string_view sha) {
  if (!is_sha256_hex(sha)) return Error(Errc::kInternal, "bad blob name");
  auto st = env_.remove(path_for(sha));
  if (!st && st.error().code == Errc::kNotFound) return {};
  return st;
}

base::Result<BlobFiles::Listing> BlobFiles::list() const {
  Listing out;
  auto files = PH_TRY(env_.list_files(root_));
  for (auto& rel : files) {
    // Content files sit exactly at ab/cd/<sha> with matching prefixes.
    std::string_view name = rel;
    size_t slash = name.find_last_of('/');
    std::string_view base = slash == std::string_view::npos ? name : name.substr(slash + 1);
    if (is_sha256_hex(base) && rel.size() == 70 && rel.compare(0, 2, base.substr(0, 2)) == 0 &&
        rel.compare(3, 2, base.substr(2, 2)) == 0) {
      out.blobs.emplace_back(base);
    } else {
      out.other.push_back(std::move(rel));
    }
  }
  return out;
}

base::Status BlobFiles::remove_relative(const std::string& rel) {
  if (rel.find("..") != std::string::npos) return Error(Errc::kInvalid, "bad path");
  auto st = env_.remove(root_ + "/" + rel);
  if (!st && st.error().code == Errc::kNotFound) return {};
  return st;
}

}  // namespace posthouse::store
