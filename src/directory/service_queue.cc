// directory::Service: access to the outbound queue for every role, decided by the policy
// (queue.read, queue.manage on a Target::kQueue naming the entry's customer and domain).
#include <fmt/format.h>

#include "base/strings.h"
#include "directory/address.h"
#include "directory/service.h"

namespace posthouse::directory {

using base::Errc;
using base::Error;
using nlohmann::json;

namespace {

constexpr int kMaxPage = 1000;
constexpr int kScanBatch = 500;  // entries read per query while filling a page

Error entry_not_found(std::string_view id) {
  return Error(Errc::kNotFound, fmt::format("queue entry '{}' not found", id));
}

// "Q" + 16 lower-case hex digits (QueueStore::enqueue). Anything else names nothing; it is
// refused as invalid (it cannot be somebody else's entry, so saying so leaks nothing).
base::Status check_queue_id(std::string_view id) {
  bool ok = id.size() == 17 && id[0] == 'Q';
  for (std::size_t i = 1; ok && i < id.size(); ++i)
    ok = (id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f');
  if (!ok)
    return Error(Errc::kInvalid, "a queue id is Q followed by 16 hexadecimal digits", "id");
  return {};
}

Target target_of(const QueueEntry& e) {
  return Target::queue_entry(e.message.id, e.customer_id, e.domain_id);
}

json recipients_json(const store::QueuedMessage& m) {
  json out = json::array();
  for (const auto& r : m.recipients)
    out.push_back({{"address", r.address}, {"state", store::state_name(r.state)}});
  return out;
}

}  // namespace

json to_json(const QueueEntry& e) {
  const auto& m = e.message;
  json rcpts = json::array();
  // The entry's state: the first of sending, queued, deferred that a recipient is in; when
  // every recipient is final, the first recipient's state.
  std::string summary;
  int rank = 99;
  for (const auto& r : m.recipients) {
    bool waiting = r.state == store::RecipientState::kQueued ||
                   r.state == store::RecipientState::kDeferred;
    rcpts.push_back({{"address", r.address},
                     {"state", store::state_name(r.state)},
                     {"attempts", r.attempts},
                     {"next_attempt_at", waiting ? json(r.next_attempt_at) : json(nullptr)},
                     {"last_error", r.last_error}});
    int rk = r.state == store::RecipientState::kSending    ? 0
             : r.state == store::RecipientState::kQueued   ? 1
             : r.state == store::RecipientState::kDeferred ? 2
                                                           : 3;
    if (rk < rank) {
      rank = rk;
      summary = store::state_name(r.state);
    }
  }
  return {{"id", m.queue_id},
          {"sender", m.sender},
          {"size", m.size},
          {"created_at", m.created_at},
          {"domain", e.domain.empty() ? json(nullptr) : json(e.domain)},
          {"state", summary},
          {"recipients", rcpts}};
}

// The local domain an entry is sent for: the one recorded at enqueue, else (older entries)
// the sender's domain if it is local. None: customer 0, only the platform admin sees it.
base::Result<QueueEntry> Service::queue_entry_of(store::QueuedMessage m) {
  QueueEntry e;
  Id dom = 0;
  if (m.origin_domain_id) {
    dom = *m.origin_domain_id;
  } else if (auto at = m.sender.rfind('@'); at != std::string::npos) {
    dom = PH_TRY(local_domain_id(m.sender.substr(at + 1)));
  }
  if (dom > 0) {
    auto d = store_.get_domain(dom);
    if (d.ok()) {
      e.customer_id = d->customer_id;
      e.domain_id = d->id;
      e.domain = d->name;
    } else if (d.error().code != Errc::kNotFound) {
      return std::move(d).error();
    }  // purged since: nobody's but the platform admin's
  }
  e.message = std::move(m);
  return e;
}

base::Result<QueuePage> Service::list_queue(const Actor& a, store::QueueStore& q,
                                            const QueueQuery& f) {
  if (f.limit < 1 || f.limit > kMaxPage)
    return Error(Errc::kInvalid, fmt::format("limit must be an integer from 1 to {}", kMaxPage),
                 "limit");
  store::ListFilter lf;
  if (!f.state.empty()) {
    lf.state = store::state_from_name(f.state);
    if (!lf.state)
      return Error(Errc::kInvalid,
                   "state must be one of queued, sending, deferred, delivered, bounced, expired",
                   "state");
  }
  if (!f.recipient_domain.empty()) {
    auto name = normalize_domain(f.recipient_domain);
    if (!name.ok())
      return Error(Errc::kInvalid, "recipient_domain is not a domain name", "recipient_domain");
    lf.recipient_domain = *name;
  }
  std::optional<Id> only;
  if (!f.domain.empty()) only = PH_TRY(get_domain(a, f.domain)).id;
  QueuePage page;
  lf.after_id = f.after_id;
  lf.limit = kScanBatch;
  // Filtered by scope in batches, so a narrow scope still fills the page.
  while (static_cast<int>(page.items.size()) < f.limit) {
    auto batch = PH_TRY(q.list_page(lf));
    for (auto& m : batch) {
      lf.after_id = m.id;
      auto e = PH_TRY(queue_entry_of(std::move(m)));
      if (only && e.domain_id != *only) continue;
      if (!policy_.allows(a, Verb::kQueueRead, target_of(e))) continue;
      page.items.push_back(std::move(e));
      if (static_cast<int>(page.items.size()) == f.limit) break;
    }
    if (static_cast<int>(batch.size()) < kScanBatch) break;
  }
  if (static_cast<int>(page.items.size()) == f.limit) page.next_after = lf.after_id;
  return page;
}

base::Result<QueueEntry> Service::load_queue_entry(const Actor& a, store::QueueStore& q,
                                                   std::string_view queue_id, Verb v) {
  PH_CHECK(check_queue_id(queue_id));
  auto m = q.get(queue_id);
  if (!m.ok()) {
    if (m.error().code == Errc::kNotFound) return entry_not_found(queue_id);
    return std::move(m).error();
  }
  auto e = PH_TRY(queue_entry_of(std::move(*m)));
  auto st = policy_.check(a, v, target_of(e));
  if (!st.ok()) {
    if (st.error().code == Errc::kNotFound) return entry_not_found(queue_id);
    return std::move(st).error();
  }
  return e;
}

base::Result<QueueEntry> Service::get_queue_entry(const Actor& a, store::QueueStore& q,
                                                  std::string_view queue_id) {
  return load_queue_entry(a, q, queue_id, Verb::kQueueRead);
}

base::Result<QueueEntry> Service::change_queue_entry(const Actor& a, store::QueueStore& q,
                                                     std::string_view queue_id,
                                                     std::string_view verb,
                                                     const std::function<base::Status()>& change) {
  QueueEntry after;
  PH_CHECK(store_.in_transaction([&]() -> base::Status {
    auto e = PH_TRY(load_queue_entry(a, q, queue_id, Verb::kQueueManage));
    PH_CHECK(change());
    json before_j = {{"sender", e.message.sender}, {"recipients", recipients_json(e.message)}};
    json after_j = nullptr;
    after.customer_id = e.customer_id;
    after.domain_id = e.domain_id;
    after.domain = e.domain;
    auto now_m = q.get(queue_id);
    if (now_m.ok()) {
      after_j = {{"sender", now_m->sender}, {"recipients", recipients_json(*now_m)}};
      after.message = std::move(*now_m);
    } else if (now_m.error().code != Errc::kNotFound) {
      return std::move(now_m).error();
    }
    return audit_custom(a, verb, "queue:" + std::string(queue_id), e.customer_id, e.domain_id, 0,
                        before_j, after_j);
  }));
  return after;
}

base::Result<QueueEntry> Service::retry_queue_entry(const Actor& a, store::QueueStore& q,
                                                    std::string_view queue_id) {
  return change_queue_entry(a, q, queue_id, "queue.retry",
                            [&] { return q.retry_in_transaction(queue_id, now()); });
}

base::Status Service::delete_queue_entry(const Actor& a, store::QueueStore& q,
                                         std::string_view queue_id) {
  auto r = change_queue_entry(a, q, queue_id, "queue.delete",
                              [&] { return q.remove_in_transaction(queue_id); });
  if (!r.ok()) return std::move(r).error();
  return {};
}

}  // namespace posthouse::directory
