// A pool of per-connection service objects over the main database (a store::Backend): the
// stores of one connection, the directory::Service over them and the AutoreplyLog.
//
// Why: each set wraps one connection used by one thread at a time, while the blocking pool
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
#include "store/stores.h"

namespace posthouse::delivery {

// One connection's set. The pointers point into `stores` and live as long as it.
struct Services {
  std::unique_ptr<store::Stores> stores;
  std::unique_ptr<directory::Service> directory;
  store::DirectoryStore* dir_store = nullptr;  // raw reads the service has no verb for
  store::QueueStore* queue = nullptr;
  store::SessionStore* sessions = nullptr;
  store::DkimKeyStore* dkim_keys = nullptr;
  store::GreylistStore* greylist = nullptr;
  std::unique_ptr<AutoreplyLog> autoreply;
};

class ServicePool {
 public:
  // The backend must outlive the pool.
  ServicePool(store::Backend& backend, directory::Options opts)
      : backend_(backend), opts_(std::move(opts)) {}

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

  store::Backend& backend_;
  directory::Options opts_;
  std::mutex mu_;
  std::vector<std::unique_ptr<Services>> free_;
};

}  // namespace posthouse::delivery
