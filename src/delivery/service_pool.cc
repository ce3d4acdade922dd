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
  s->stores = PH_TRY(backend_.open());
  s->directory = std::make_unique<directory::Service>(s->stores->directory(), opts_);
  s->dir_store = &s->stores->directory();
  s->queue = &s->stores->queue();
  s->sessions = &s->stores->sessions();
  s->dkim_keys = &s->stores->dkim_keys();
  s->greylist = &s->stores->greylist();
  s->autoreply = std::make_unique<AutoreplyLog>(s->stores->autoreply());
  return s;
}

void ServicePool::release(std::unique_ptr<Services> s) {
  std::lock_guard lock(mu_);
  free_.push_back(std::move(s));
}

}  // namespace posthouse::delivery
