// SqliteMailStore: the SEARCH SUBJECT/BODY/TEXT index (table mail_search, migration 0080).
// Its rows follow the body blobs: a batch adds one per new body after its ops (index_blobs),
// delete_blob_row() removes it with the body. search_text() answers from it;
// build_search_index() fills it from the stored bodies (at open when the mark is missing, and on
// check --repair).
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "mime/part_map.h"
#include "mime/search_text.h"
#include "store/sqlite/mail_store.h"
#include "store/sqlite/mail_store_internal.h"

namespace posthouse::store::sqlite {

namespace {

constexpr const char* kMark = "v1";
constexpr size_t kBuildChunk = 500;  // bodies per transaction when the build commits itself

// LIKE '%needle%' with the needle's own wildcards escaped.
std::string like_pattern(std::string_view needle) {
  std::string p = "%";
  for (char c : needle) {
    if (c == '%' || c == '_' || c == '\\') p += '\\';
    p += c;
  }
  p += '%';
  return p;
}

// Trigram tokens need three characters; a shorter needle would make FTS5 read every row of
// every mailbox, so the caller scans the folder instead.
bool indexable(std::string_view needle) {
  size_t chars = 0;
  for (char c : needle) chars += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return chars >= 3;
}

}  // namespace

base::Status Impl::index_blobs(const BatchState& batch) {
  if (!opts.search_index || batch.index.empty()) return {};
  // Staged in a temporary table, then moved in one statement: FTS5 writes its pending rows out
  // at the end of every statement that changes it, so a statement per row would still cost an
  // index segment per message. A body created and freed in the same batch has no mail_blob row
  // left; its id may have gone to a later new body, whose staged row replaces the first.
  {
    PH_QUERY(s, *writer,
             "INSERT OR REPLACE INTO temp.search_pending(id, subject, header, body) "
             "VALUES(?, ?, ?, ?)");
    for (const auto& [id, msg] : batch.index) {
      std::string_view header = std::string_view(msg->raw).substr(0, msg->parsed.header_size);
      s->reset();
      s->bind_all(id, msg->parsed.headers.subject, header, msg->search_body);
      PH_CHECK(s->run());
    }
  }
  PH_CHECK(exec_cached(
      "INSERT INTO mail_search(rowid, subject, header, body) "
      "SELECT id, subject, header, body FROM temp.search_pending p "
      "WHERE EXISTS (SELECT 1 FROM mail_blob WHERE id = p.id) ORDER BY id"));
  return exec_cached("DELETE FROM temp.search_pending");
}

base::Status Impl::unindex_blob(int64_t blob_id) {
  PH_QUERY(s, *writer, "DELETE FROM mail_search WHERE rowid = ?");
  s->bind(1, blob_id);
  return s->run();
}

base::Status Impl::build_search_index(bool own_transactions) {
  Db& db = writer->db();
  int64_t total = 0;
  {
    PH_QUERY(s, *writer, "SELECT count(*) FROM mail_blob");
    if (PH_TRY(s->step())) total = s->col_int(0);
  }
  spdlog::info("search index: indexing {} message bodies", total);
  if (own_transactions) PH_CHECK(db.exec("BEGIN IMMEDIATE"));
  PH_CHECK(db.exec("DELETE FROM mail_search"));
  int64_t done = 0, last_id = 0;
  for (;;) {
    struct Body {
      int64_t id = 0;
      std::string sha;
      bool in_db = true;
      uint64_t size = 0, header_size = 0;
      std::string subject, part_map;
    };
    std::vector<Body> chunk;
    {
      PH_QUERY(s, *writer,
               "SELECT id, sha256, in_db, size, header_size, subject, part_map FROM mail_blob "
               "WHERE id > ? ORDER BY id LIMIT ?");
      s->bind_all(last_id, static_cast<int64_t>(kBuildChunk));
      while (PH_TRY(s->step())) {
        Body b;
        Row(*s).into(b.id, b.sha, b.in_db, b.size, b.header_size, b.subject, b.part_map);
        chunk.push_back(std::move(b));
      }
    }
    if (chunk.empty()) break;
    for (const auto& b : chunk) {
      std::string raw;
      if (b.in_db) {
        PH_QUERY(d, *writer, "SELECT data FROM mail_blob_data WHERE blob_id = ?");
        d->bind(1, b.id);
        if (PH_TRY(d->step())) raw = d->col_blob(0);
      } else {
        auto r = files.read(b.sha, 0, b.size);
        if (r) raw = std::move(*r);  // a missing file is check's to report; index what is left
      }
      auto parts = mime::PartMap::parse(b.part_map);
      std::string body = parts ? mime::body_search_text(raw, *parts) : std::string();
      PH_QUERY(ins, *writer,
               "INSERT INTO mail_search(rowid, subject, header, body) VALUES(?, ?, ?, ?)");
      ins->bind_all(b.id, b.subject, std::string_view(raw).substr(0, std::min(b.header_size,
                                                                              raw.size())),
                    body);
      PH_CHECK(ins->run());
      last_id = b.id;
    }
    done += static_cast<int64_t>(chunk.size());
    spdlog::info("search index: {}/{} bodies ({}%)", done, total, total ? done * 100 / total : 100);
    if (own_transactions) {
      PH_CHECK(db.exec("COMMIT"));
      PH_CHECK(db.exec("BEGIN IMMEDIATE"));
    }
  }
  {
    PH_QUERY(s, *writer, "INSERT OR REPLACE INTO meta(key, value) VALUES('search_index', ?)");
    s->bind(1, kMark);
    PH_CHECK(s->run());
  }
  if (own_transactions) PH_CHECK(db.exec("COMMIT"));
  return {};
}

base::Status Impl::open_search_index() {
  if (!opts.search_index) {
    // New bodies will not be indexed: forget the mark so that turning it on rebuilds.
    return exec_cached("DELETE FROM meta WHERE key = 'search_index'");
  }
  // Where index_blobs() stages a batch's rows; private to the writer's connection, in memory.
  PH_CHECK(writer->db().exec(
      "PRAGMA temp_store = MEMORY; CREATE TEMP TABLE IF NOT EXISTS search_pending("
      "id INTEGER PRIMARY KEY, subject TEXT, header TEXT, body TEXT)"));
  {
    PH_QUERY(s, *writer, "SELECT value FROM meta WHERE key = 'search_index'");
    if (PH_TRY(s->step()) && s->col_text(0) == kMark) return {};
  }
  return build_search_index(/*own_transactions=*/true);
}

base::Result<std::vector<std::string>> Impl::search_index_problems() {
  std::vector<std::string> out;
  if (!opts.search_index) return out;
  {
    PH_QUERY(s, *writer,
             "SELECT count(*) FROM mail_blob WHERE id NOT IN (SELECT rowid FROM mail_search)");
    if (PH_TRY(s->step()) && s->col_int(0) > 0) {
      out.push_back(fmt::format("search index: {} bodies not indexed", s->col_int(0)));
    }
  }
  {
    PH_QUERY(s, *writer,
             "SELECT count(*) FROM mail_search WHERE rowid NOT IN (SELECT id FROM mail_blob)");
    if (PH_TRY(s->step()) && s->col_int(0) > 0) {
      out.push_back(fmt::format("search index: {} rows without a body", s->col_int(0)));
    }
  }
  return out;
}

base::Result<std::optional<std::vector<Uid>>> SqliteMailStore::search_text(
    MailboxId mb, FolderId folder, TextField field, std::string_view needle) {
  if (!impl_->opts.search_index || !indexable(needle)) return std::optional<std::vector<Uid>>();
  auto lease = PH_TRY(impl_->reader());
  Conn& c = *lease;
  PH_CHECK(check_folder(c, mb, folder));
  // The index narrows the bodies; SQLite re-checks LIKE on the stored text, so the answer is
  // exactly "contains, ASCII letters in either case", as the scan's.
  const char* sql = nullptr;
  switch (field) {
    case TextField::kSubject:
      sql =
          "SELECT uid FROM mail_message WHERE folder_id = ?1 AND blob_id IN "
          "(SELECT rowid FROM mail_search WHERE subject LIKE ?2 ESCAPE '\\') ORDER BY uid";
      break;
    case TextField::kBody:
      sql =
          "SELECT uid FROM mail_message WHERE folder_id = ?1 AND blob_id IN "
          "(SELECT rowid FROM mail_search WHERE body LIKE ?2 ESCAPE '\\') ORDER BY uid";
      break;
    case TextField::kText:
      sql =
          "SELECT uid FROM mail_message WHERE folder_id = ?1 AND blob_id IN "
          "(SELECT rowid FROM mail_search WHERE header LIKE ?2 ESCAPE '\\' UNION "
          "SELECT rowid FROM mail_search WHERE body LIKE ?2 ESCAPE '\\') ORDER BY uid";
      break;
  }
  PH_QUERY(s, c, sql);
  s->bind_all(folder, like_pattern(needle));
  std::vector<Uid> uids;
  while (PH_TRY(s->step())) uids.push_back(static_cast<Uid>(s->col_int(0)));
  return std::optional<std::vector<Uid>>(std::move(uids));
}

}  // namespace posthouse::store::sqlite
