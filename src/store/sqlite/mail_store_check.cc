// SqliteMailStore: the consistency check (and repair) and the startup sweep of crash debris.
// Both run on the writer thread between batches, so no file of an uncommitted batch can be
// mistaken for an orphan.
#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "store/sqlite/mail_store.h"
#include "store/sqlite/mail_store_internal.h"

namespace posthouse::store::sqlite {

namespace {

// One run of check() or sweep_crash_debris(): collects problems into `rep`, and with repair
// fixes what it can, counting each fix.
class Checker {
 public:
  Checker(Impl& impl, BatchState& st, bool repair) : i_(impl), st_(st), repair_(repair) {}

  base::Status blob_references();
  base::Status blob_data();
  base::Status message_bodies();
  base::Status aggregates();
  // Files against blob rows. `file_blobs`: sha → expected size of every blob whose bytes
  // should be a file. With debris_only, only what a crash leaves behind is looked at
  // (unreferenced files and temporaries), never a missing or damaged file.
  base::Status files(const std::map<std::string, int64_t>& file_blobs, bool debris_only);

  const std::map<std::string, int64_t>& file_blobs() const { return file_blobs_; }
  CheckReport report() && { return std::move(rep_); }

 private:
  void problem(std::string s) { rep_.problems.push_back(std::move(s)); }
  // Stored aggregates against what the rows say. `select` yields (key, n stored values, n true
  // values); a row whose values differ is a problem, repaired by `fix` bound with the true
  // values then the key.
  base::Status reconcile(const char* what, const char* select, int n, const char* fix);

  Impl& i_;
  BatchState& st_;
  bool repair_;
  CheckReport rep_;
  std::map<std::string, int64_t> file_blobs_;  // sha → size of each body kept as a file
};

// Reference counts against the messages that use each blob.
base::Status Checker::blob_references() {
  struct BlobRow {
    int64_t id = 0, refcount = 0, actual = 0;
    std::string sha;
    bool in_db = false;
    int64_t size = 0;
  };
  std::vector<BlobRow> blobs;
  {
    PH_QUERY(
        s, *i_.writer,
        "SELECT b.id, b.refcount, (SELECT count(*) FROM mail_message m WHERE m.blob_id = b.id),"
        " b.sha256, b.in_db, b.size FROM mail_blob b");
    while (PH_TRY(s->step())) {
      BlobRow b;
      Row(*s).into(b.id, b.refcount, b.actual, b.sha, b.in_db, b.size);
      blobs.push_back(std::move(b));
    }
  }
  for (const auto& b : blobs) {
    if (!b.in_db) file_blobs_[b.sha] = b.size;
    if (b.refcount == b.actual) continue;
    problem(
        fmt::format("blob {}: refcount {} but {} messages use it", b.sha, b.refcount, b.actual));
    if (!repair_) continue;
    if (b.actual == 0) {
      PH_CHECK(i_.delete_blob_row(b.id));
      if (!b.in_db) {
        st_.unlinks.insert(b.sha);
        file_blobs_.erase(b.sha);
      }
    } else {
      PH_QUERY(u, *i_.writer, "UPDATE mail_blob SET refcount = ? WHERE id = ?");
      u->bind_all(b.actual, b.id);
      PH_CHECK(u->run());
    }
    ++rep_.repaired;
  }
  return {};
}

// Inline bodies without their bytes, and bytes without their body row.
base::Status Checker::blob_data() {
  {
    PH_QUERY(s, *i_.writer,
             "SELECT b.sha256 FROM mail_blob b LEFT JOIN mail_blob_data d ON d.blob_id = b.id "
             "WHERE b.in_db = 1 AND d.blob_id IS NULL");
    while (PH_TRY(s->step())) problem(fmt::format("blob {}: stored bytes missing", s->col_text(0)));
  }
  std::vector<int64_t> strays;
  {
    PH_QUERY(s, *i_.writer,
             "SELECT d.blob_id FROM mail_blob_data d LEFT JOIN mail_blob b ON b.id = d.blob_id "
             "WHERE b.id IS NULL");
    while (PH_TRY(s->step())) strays.push_back(s->col_int(0));
  }
  for (auto id : strays) {
    problem(fmt::format("blob data {} has no blob", id));
    if (!repair_) continue;
    PH_QUERY(d, *i_.writer, "DELETE FROM mail_blob_data WHERE blob_id = ?");
    d->bind(1, id);
    PH_CHECK(d->run());
    ++rep_.repaired;
  }
  return {};
}

base::Status Checker::message_bodies() {
  PH_QUERY(s, *i_.writer,
           "SELECT m.folder_id, m.uid FROM mail_message m LEFT JOIN mail_blob b ON b.id = m.blob_id"
           " WHERE b.id IS NULL");
  while (PH_TRY(s->step())) {
    problem(fmt::format("message folder {} uid {}: body missing", s->col_int(0), s->col_int(1)));
  }
  return {};
}

base::Status Checker::reconcile(const char* what, const char* select, int n, const char* fix) {
  std::vector<std::vector<int64_t>> bad;
  {
    PH_QUERY(s, *i_.writer, select);
    while (PH_TRY(s->step())) {
      std::vector<int64_t> row;
      for (int k = 0; k <= 2 * n; ++k) row.push_back(s->col_int(k));
      if (!std::equal(row.begin() + 1, row.begin() + 1 + n, row.begin() + 1 + n)) {
        bad.push_back(std::move(row));
      }
    }
  }
  for (const auto& row : bad) {
    std::string stored, actual;
    for (int k = 0; k < n; ++k) {
      stored += fmt::format("{}{}", k ? "/" : "", row[1 + k]);
      actual += fmt::format("{}{}", k ? "/" : "", row[1 + n + k]);
    }
    problem(fmt::format("{} {}: {} but should be {}", what, row[0], stored, actual));
    if (!repair_) continue;
    PH_QUERY(q, *i_.writer, fix);
    for (int k = 0; k < n; ++k) q->bind(k + 1, row[1 + n + k]);
    q->bind(n + 1, row[0]);
    PH_CHECK(q->run());
    ++rep_.repaired;
  }
  return {};
}

base::Status Checker::aggregates() {
  PH_CHECK(reconcile(
      "mailbox usage (bytes/messages)",
      "SELECT a.mailbox_id, a.used_bytes, a.used_messages, "
      "(SELECT coalesce(sum(m.size), 0) FROM mail_message m JOIN mail_folder f ON "
      "f.id = m.folder_id WHERE f.mailbox_id = a.mailbox_id), "
      "(SELECT count(*) FROM mail_message m JOIN mail_folder f ON f.id = m.folder_id "
      "WHERE f.mailbox_id = a.mailbox_id) FROM mail_account a",
      2, "UPDATE mail_account SET used_bytes = ?, used_messages = ? WHERE mailbox_id = ?"));
  PH_CHECK(reconcile(
      "folder counters (messages/unseen/deleted/bytes)",
      "SELECT f.id, f.messages, f.unseen, f.deleted, f.bytes, count(m.uid), "
      "coalesce(sum((m.flags & 1) = 0), 0), coalesce(sum((m.flags & 8) != 0), 0), "
      "coalesce(sum(m.size), 0) FROM mail_folder f LEFT JOIN mail_message m ON "
      "m.folder_id = f.id GROUP BY f.id",
      4, "UPDATE mail_folder SET messages = ?, unseen = ?, deleted = ?, bytes = ? WHERE id = ?"));
  // UIDNEXT and HIGHESTMODSEQ must stay above everything handed out, expunged included.
  return reconcile(
      "folder uidnext/highestmodseq",
      "SELECT id, uidnext, highestmodseq, max(uidnext, maxuid + 1), max(highestmodseq, maxmod) "
      "FROM (SELECT f.id, f.uidnext, f.highestmodseq, max(coalesce((SELECT max(uid) FROM "
      "mail_message WHERE folder_id = f.id), 0), coalesce((SELECT max(uid) FROM mail_expunged "
      "WHERE folder_id = f.id), 0)) AS maxuid, max(coalesce((SELECT max(modseq) FROM "
      "mail_message WHERE folder_id = f.id), 0), coalesce((SELECT max(modseq) FROM "
      "mail_expunged WHERE folder_id = f.id), 0)) AS maxmod FROM mail_folder f)",
      2, "UPDATE mail_folder SET uidnext = ?, highestmodseq = ? WHERE id = ?");
}

base::Status Checker::files(const std::map<std::string, int64_t>& file_blobs, bool debris_only) {
  auto listing = PH_TRY(i_.files.list());
  if (!debris_only) {
    std::set<std::string> on_disk(listing.blobs.begin(), listing.blobs.end());
    for (const auto& [sha, expected] : file_blobs) {
      if (!on_disk.count(sha)) {
        problem(fmt::format("blob {}: file missing", sha));
        continue;
      }
      auto size = i_.files.size(sha);
      if (size.ok() && static_cast<int64_t>(*size) != expected)
        problem(fmt::format("blob {}: file size {} but {} expected", sha, *size, expected));
    }
  }
  for (const auto& sha : listing.blobs) {
    if (file_blobs.count(sha) || st_.unlinks.count(sha)) continue;
    problem(fmt::format("blob file {} is not referenced", sha));
    if (!repair_) continue;
    PH_CHECK(i_.files.remove(sha));
    ++rep_.repaired;
  }
  for (const auto& rel : listing.other) {
    problem(fmt::format("stray file {}", rel));
    if (!repair_) continue;
    PH_CHECK(i_.files.remove_relative(rel));
    ++rep_.repaired;
  }
  return {};
}

}  // namespace

base::Result<CheckReport> Impl::check_op(BatchState& st, bool repair) {
  Checker c(*this, st, repair);
  PH_CHECK(c.blob_references());
  PH_CHECK(c.blob_data());
  PH_CHECK(c.message_bodies());
  PH_CHECK(c.aggregates());
  PH_CHECK(c.files(c.file_blobs(), /*debris_only=*/false));
  CheckReport rep = std::move(c).report();
  auto index = PH_TRY(search_index_problems());
  rep.problems.insert(rep.problems.end(), index.begin(), index.end());
  // --repair rebuilds the index whatever the counts say: a row can be stale without being
  // missing (a body indexed by an older extractor).
  if (repair && opts.search_index) {
    PH_CHECK(build_search_index(/*own_transactions=*/false));
    if (!index.empty()) ++rep.repaired;
  }
  return rep;
}

base::Result<CheckReport> Impl::sweep_debris_op(BatchState& st) {
  std::map<std::string, int64_t> file_blobs;
  {
    PH_QUERY(s, *writer, "SELECT sha256, size FROM mail_blob WHERE in_db = 0");
    while (PH_TRY(s->step())) file_blobs[s->col_text(0)] = s->col_int(1);
  }
  Checker c(*this, st, /*repair=*/true);
  PH_CHECK(c.files(file_blobs, /*debris_only=*/true));
  return std::move(c).report();
}

base::Result<CheckReport> SqliteMailStore::check(bool repair) {
  Impl* i = impl_.get();
  return i->submit_sync<CheckReport>(
      [i, repair](BatchState& st) { return i->check_op(st, repair); });
}

base::Result<CheckReport> SqliteMailStore::sweep_crash_debris() {
  Impl* i = impl_.get();
  return i->submit_sync<CheckReport>([i](BatchState& st) { return i->sweep_debris_op(st); });
}

}  // namespace posthouse::store::sqlite
