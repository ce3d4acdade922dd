#include "delivery/service_pool.h"

namespace posthouse::delivery {

base::Result<std::unique_ptr<Services>> ServicePool::acquire() {
  {
    std::lock_guard lock(mu_);
    if (!free_.empty()) {
      auto s = std::move(free_.back());
      free_.pop_back();
      return s;
    }
  }
  auto s = std::make_unique<Services>();
  s->db = PH_TRY(store::sqlite::Db::open(db_path_));
  s->dir_store = std::make_unique<store::sqlite::SqliteDirectoryStore>(*s->db);
  s->directory = std::make_unique<directory::Service>(*s->dir_store, opts_);
  s->queue = std::make_unique<queue::QueueStore>(*s->db);
  s->autoreply = std::make_unique<AutoreplyLog>(*s->db);
  return s;
}

void ServicePool::release(std::unique_ptr<Services> s) {
  std::lock_guard lock(mu_);
  free_.push_back(std::move(s));
}

}  // namespace posthouse::delivery
