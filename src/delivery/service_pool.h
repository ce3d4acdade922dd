// A pool of per-connection service objects over the one database (posthouse.db): the
// directory::Service, the outbound QueueStore and the AutoreplyLog.
//
// Why: each wraps one SQLite connection used by one thread at a time, while the blocking pool
// runs many threads. with() lends a set (opening a new connection when all are busy, so a
// caller never waits for another) and takes it back afterwards.
// Contract: thread-safe; grows to the number of concurrent callers and no further.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/result.h"
#include "delivery/autoreply.h"
#include "directory/service.h"
#include "queue/queue_store.h"
#include "store/sqlite/db.h"
#include "store/sqlite/directory_store.h"

namespace posthouse::delivery {

struct Services {
  std::unique_ptr<store::sqlite::Db> db;
  std::unique_ptr<store::sqlite::SqliteDirectoryStore> dir_store;
  std::unique_ptr<directory::Service> directory;
  std::unique_ptr<queue::QueueStore> queue;
  std::unique_ptr<AutoreplyLog> autoreply;
};

class ServicePool {
 public:
  ServicePool(std::string db_path, directory::Options opts)
      : db_path_(std::move(db_path)), opts_(std::move(opts)) {}

  // f(Services&) must return a base::Result<T> or base::Status.
  template <class F>
  auto with(F&& f) -> decltype(f(std::declval<Services&>())) {
    auto lease = acquire();
    if (!lease.ok()) return std::move(lease).error();
    std::unique_ptr<Services> s = std::move(*lease);
    auto result = f(*s);
    release(std::move(s));
    return result;
  }

  const directory::Options& directory_options() const { return opts_; }

 private:
  base::Result<std::unique_ptr<Services>> acquire();
  void release(std::unique_ptr<Services> s);

  std::string db_path_;
  directory::Options opts_;
  std::mutex mu_;
  std::vector<std::unique_ptr<Services>> free_;
};

}  // namespace posthouse::delivery
