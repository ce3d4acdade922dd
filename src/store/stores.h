// Stores and Backend: how services get at the stores of the main database (directory,
// tokens, audit, outbound queue, panel sessions, DKIM keys, autoreply and greylisting memory,
// quarantine, DMARC report data)
// without naming a database engine. The mail store (mail_store.h) is opened on its own: it
// has its own files and writer thread.
//
// Contract:
// - A Stores is one connection's worth of stores: every object it hands out uses the same
//   connection, so a DirectoryStore::in_transaction() covers the queue, token and audit calls
//   made inside it. The references live as long as the Stores.
// - Thread safety: a Stores is used by one thread at a time (lend it, as
//   delivery::ServicePool does); a Backend is thread-safe and opens any number of them.
// - Backend::migrate() brings the schema to this binary's version (numbered migrations); a
//   schema newer than the binary is an error.
// Implemented by store/sqlite/stores.h; the composition root (src/app) picks the backend.
#pragma once

#include <memory>

#include "base/result.h"
#include "store/autoreply_store.h"
#include "store/directory_store.h"
#include "store/dkim_key_store.h"
#include "store/dmarc_report_store.h"
#include "store/greylist_store.h"
#include "store/quarantine_store.h"
#include "store/queue_store.h"
#include "store/session_store.h"

namespace posthouse::store {

class Stores {
 public:
  virtual ~Stores() = default;
  virtual DirectoryStore& directory() = 0;
  virtual QueueStore& queue() = 0;
  virtual SessionStore& sessions() = 0;
  virtual DkimKeyStore& dkim_keys() = 0;
  virtual AutoreplyStore& autoreply() = 0;
  virtual GreylistStore& greylist() = 0;
  virtual QuarantineStore& quarantine() = 0;
  virtual DmarcReportStore& dmarc_reports() = 0;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual base::Status migrate() = 0;
  virtual base::Result<std::unique_ptr<Stores>> open() = 0;
};

}  // namespace posthouse::store
