#include "store/sqlite/stores.h"

#include "store/sqlite/autoreply_store.h"
#include "store/sqlite/db.h"
#include "store/sqlite/directory_store.h"
#include "store/sqlite/dkim_key_store.h"
#include "store/sqlite/dmarc_report_store.h"
#include "store/sqlite/greylist_store.h"
#include "store/sqlite/quarantine_store.h"
#include "store/sqlite/queue_store.h"
#include "store/sqlite/session_store.h"

namespace posthouse::store::sqlite {
namespace {

class SqliteStores final : public Stores {
 public:
  explicit SqliteStores(std::unique_ptr<Db> db)
      : db_(std::move(db)),
        directory_(*db_),
        queue_(*db_),
        sessions_(*db_),
        dkim_keys_(*db_),
        autoreply_(*db_),
        greylist_(*db_),
        quarantine_(*db_),
        dmarc_reports_(*db_) {}

  DirectoryStore& directory() override { return directory_; }
  QueueStore& queue() override { return queue_; }
  SessionStore& sessions() override { return sessions_; }
  DkimKeyStore& dkim_keys() override { return dkim_keys_; }
  AutoreplyStore& autoreply() override { return autoreply_; }
  GreylistStore& greylist() override { return greylist_; }
  QuarantineStore& quarantine() override { return quarantine_; }
  DmarcReportStore& dmarc_reports() override { return dmarc_reports_; }

 private:
  std::unique_ptr<Db> db_;  // first: the stores below use it and go before it
  SqliteDirectoryStore directory_;
  SqliteQueueStore queue_;
  SqliteSessionStore sessions_;
  SqliteDkimKeyStore dkim_keys_;
  SqliteAutoreplyStore autoreply_;
  SqliteGreylistStore greylist_;
  SqliteQuarantineStore quarantine_;
  SqliteDmarcReportStore dmarc_reports_;
};

}  // namespace

base::Status SqliteBackend::migrate() {
  auto db = PH_TRY(Db::open(db_path_));
  return db->migrate();
}

base::Result<std::unique_ptr<Stores>> SqliteBackend::open() {
  auto db = PH_TRY(Db::open(db_path_));
  return std::unique_ptr<Stores>(std::make_unique<SqliteStores>(std::move(db)));
}

}  // namespace posthouse::store::sqlite
