// /api/v1/queue: outbound queue entries in scope; retry and delete.
#include "server/http/api/routes.h"

namespace posthouse::http::api {

namespace {

base::Result<Reply> list_queue(Ctx& c) {
  d::QueueQuery q;
  q.state = c.query("state");
  q.domain = c.query("domain");
  q.recipient_domain = c.query("recipient_domain");
  q.limit = PH_TRY(page_limit(c));
  q.after_id = PH_TRY(cursor_id(c));
  auto page = PH_TRY(c.dir.list_queue(c.actor, *c.s.queue, q));
  json items = json::array();
  for (const auto& e : page.items) items.push_back(d::to_json(e));
  return ok(
      {{"items", items},
       {"next_cursor", page.next_after ? json(std::to_string(page.next_after)) : json(nullptr)}});
}

}  // namespace

std::vector<Entry> queue_routes() {
  return {
      {{V::get,
        "/api/v1/queue",
        "Outbound queue entries in scope (by the local domain each is sent for), oldest first",
        true,
        {},
        {"state", "domain", "recipient_domain", "cursor", "limit"}},
       list_queue},
      {{V::get, "/api/v1/queue/:id",
        "One queue entry: per-recipient state, attempts, last error, next attempt"},
       [](Ctx& c) -> base::Result<Reply> {
         return ok(d::to_json(PH_TRY(c.dir.get_queue_entry(c.actor, *c.s.queue, c.param("id")))));
       }},
      {{V::post, "/api/v1/queue/:id/retry", "Make a queue entry's waiting recipients due now"},
       [](Ctx& c) -> base::Result<Reply> {
         return ok(d::to_json(PH_TRY(c.dir.retry_queue_entry(c.actor, *c.s.queue, c.param("id")))));
       }},
      {{V::delete_, "/api/v1/queue/:id", "Delete a queue entry (no bounce is sent)"},
       [](Ctx& c) -> base::Result<Reply> {
         PH_CHECK(c.dir.delete_queue_entry(c.actor, *c.s.queue, c.param("id")));
         return no_content();
       }},
  };
}

}  // namespace posthouse::http::api
