#include "app/cli_queue.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <functional>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "app/cli_directory.h"
#include "queue/queue_store.h"
#include "store/sqlite/queue_store.h"

namespace posthouse::app {

namespace {

namespace d = directory;

int fail(const base::Error& e, bool json) {
  if (json) {
    nlohmann::json j = {{"error", {{"code", base::errc_name(e.code)}, {"message", e.message}}}};
    if (!e.field.empty()) j["error"]["field"] = e.field;
    std::cout << j.dump() << "\n";
  } else {
    std::cerr << "error: " << e.message << "\n";
  }
  return 1;
}

std::string text_of(const d::QueueEntry& e) {
  const auto& m = e.message;
  std::string out = fmt::format("{}  {} bytes  from <{}>  domain={}", m.queue_id, m.size,
                                m.sender, e.domain.empty() ? "-" : e.domain);
  for (const auto& r : m.recipients) {
    out += fmt::format("\n    {}  {}  attempts={}{}", r.address, queue::state_name(r.state),
                       r.attempts, r.last_error.empty() ? "" : "  " + r.last_error);
  }
  return out;
}

}  // namespace

QueueCommands::QueueCommands(CLI::App& app, const DirectoryCommands& globals) : globals_(globals) {
  auto* noun = app.add_subcommand("queue", "the outbound queue");
  noun->require_subcommand(1);
  // Every verb runs through directory::Service, so `--as LOGIN` sees and manages exactly what
  // that login could over the API.
  auto session_run = [this](std::function<int(CliSession&, queue::QueueStore&, bool)> fn) {
    return [this, fn]() -> int {
      bool json = globals_.json_output();
      auto s = open_cli_session(globals_.data_dir(), globals_.as_login());
      if (!s) {
        if (s.error().field == "config") {
          std::cerr << "posthouse: " << s.error().message << "\n";
          return 2;
        }
        return fail(s.error(), json);
      }
      store::sqlite::SqliteQueueStore q(*(*s)->db);
      return fn(**s, q, json);
    };
  };

  struct ListOpts {
    d::QueueQuery query;
    std::string cursor;
  };
  auto lo = std::make_shared<ListOpts>();
  auto* list = noun->add_subcommand("list", "list queued messages in scope, oldest first");
  list->add_option("--limit", lo->query.limit, "at most this many (1-1000)")->capture_default_str();
  list->add_option("--state", lo->query.state,
                   "only entries with a recipient in this state (queued, sending, deferred, "
                   "delivered, bounced, expired)");
  list->add_option("--domain", lo->query.domain, "only entries sent for this local domain");
  list->add_option("--recipient-domain", lo->query.recipient_domain,
                   "only entries with a recipient at this domain");
  list->add_option("--after", lo->query.after_id, "continue after this cursor (next_cursor)");
  list->callback([this, lo, session_run] {
    action_ = session_run([lo](CliSession& s, queue::QueueStore& q, bool json) -> int {
      auto page = s.svc->list_queue(s.actor, q, lo->query);
      if (!page) return fail(page.error(), json);
      if (json) {
        nlohmann::json items = nlohmann::json::array();
        for (const auto& e : page->items) items.push_back(d::to_json(e));
        std::cout << items.dump() << "\n";
      } else {
        for (const auto& e : page->items) std::cout << text_of(e) << "\n";
        if (page->next_after) std::cout << fmt::format("(more: --after {})\n", page->next_after);
      }
      return 0;
    });
  });

  auto id = std::make_shared<std::string>();
  auto* show = noun->add_subcommand("show", "show one queued message");
  show->add_option("id", *id, "queue id")->required();
  show->callback([this, id, session_run] {
    action_ = session_run([id](CliSession& s, queue::QueueStore& q, bool json) -> int {
      auto e = s.svc->get_queue_entry(s.actor, q, *id);
      if (!e) return fail(e.error(), json);
      std::cout << (json ? d::to_json(*e).dump() : d::to_json(*e).dump(2)) << "\n";
      return 0;
    });
  });

  struct Change {
    const char* verb;
    const char* help;
    const char* done;
    base::Status (*apply)(CliSession&, queue::QueueStore&, const std::string&);
  };
  for (const Change& c :
       {Change{"retry", "make a queued message's waiting recipients due now", "due now",
               [](CliSession& s, queue::QueueStore& q, const std::string& qid) -> base::Status {
                 auto r = s.svc->retry_queue_entry(s.actor, q, qid);
                 if (!r) return std::move(r).error();
                 return {};
               }},
        Change{"delete", "delete a queued message (no bounce is sent)", "deleted",
               [](CliSession& s, queue::QueueStore& q, const std::string& qid) {
                 return s.svc->delete_queue_entry(s.actor, q, qid);
               }}}) {
    auto qid = std::make_shared<std::string>();
    auto* cmd = noun->add_subcommand(c.verb, c.help);
    cmd->add_option("id", *qid, "queue id")->required();
    cmd->callback([this, qid, c, session_run] {
      action_ = session_run([qid, c](CliSession& s, queue::QueueStore& q, bool json) -> int {
        if (auto st = c.apply(s, q, *qid); !st) return fail(st.error(), json);
        if (json) {
          std::cout << nlohmann::json{{"ok", true}, {"id", *qid}}.dump() << "\n";
        } else {
          std::cout << fmt::format("{} {}\n", *qid, c.done);
        }
        return 0;
      });
    });
  }
}

int QueueCommands::run() { return action_(); }

}  // namespace posthouse::app
