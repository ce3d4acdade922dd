// Content-addressed message bodies (DESIGN.md section 4).
//
// A body is named by the SHA-256 of its bytes, so one body delivered to many recipients is
// stored once. Bodies up to a threshold (Options::inline_max, default 128 KiB) live inside the
// metadata database (one WAL fsync makes a whole batch durable); larger ones are files
// `<root>/ab/cd/<sha256>` managed by BlobFiles. Reference counts and the inline bytes are rows
// of the metadata database, changed in the same transaction as the messages that use them
// (see store/sqlite/mail_store.h); this header holds the file side and the hashing.
//
// Durability protocol for a file: write `<sha>.tmp` → fdatasync → rename to `<sha>` →
// fsync the directory (and any directory just created, via its parent). All of it completes
// before the metadata commit that references the blob. Deletion happens only after the
// commit that dropped the last reference; a crash in between leaves an orphan file, which
// the consistency check removes. Files are immutable once renamed into place.
//
// Contract: BlobFiles is thread-compatible for writes (one writer: the store's writer thread)
// and thread-safe for read(). Errors follow FsEnv (disk full → kTemporary, else kIo).
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/hash.h"
#include "base/result.h"
#include "store/fs_env.h"

namespace posthouse::store {

inline constexpr uint64_t kDefaultInlineMax = 128 * 1024;

// Lowercase hex SHA-256 (64 characters), via OpenSSL EVP.
using base::sha256_hex;
// True for 64 lowercase hex characters: the only names BlobFiles turns into paths.
bool is_sha256_hex(std::string_view s);

class BlobFiles {
 public:
  BlobFiles(FsEnv& env, std::string root) : env_(env), root_(std::move(root)) {}

  const std::string& root() const { return root_; }
  std::string path_for(std::string_view sha_hex) const;

  // Makes the file durable except for directory entries: adds the directories that need an
  // fsync to *dirs, so a batch syncs each directory once (sync_dirs).
  base::Status write(std::string_view sha_hex, std::string_view data, std::set<std::string>* dirs);
  base::Status sync_dirs(const std::set<std::string>& dirs);
  // write() + sync_dirs() for one blob.
  base::Status put(std::string_view sha_hex, std::string_view data);

  base::Result<std::string> read(std::string_view sha_hex, uint64_t offset, uint64_t length) const;
  base::Result<uint64_t> size(std::string_view sha_hex) const;
  // Absent files are not an error (deletion is idempotent).
  base::Status remove(std::string_view sha_hex);

  struct Listing {
    std::vector<std::string> blobs;  // sha hex of every content file
    std::vector<std::string> other;  // paths relative to root: temporaries, strays
  };
  base::Result<Listing> list() const;
  base::Status remove_relative(const std::string& rel);

 private:
  FsEnv& env_;
  std::string root_;
};

}  // namespace posthouse::store
