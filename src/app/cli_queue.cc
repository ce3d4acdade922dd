#include "app/cli_queue.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <ctime>
#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "app/cli_directory.h"
#include "queue/queue_store.h"
#include "store/sqlite/db.h"

namespace posthouse::app {

namespace {

nlohmann::json to_json(const queue::QueuedMessage& m) {
  nlohmann::json rcpts = nlohmann::json::array();
  for (const auto& r : m.recipients) {
    rcpts.push_back({{"address", r.address},
                     {"state", queue::state_name(r.state)},
                     {"attempts", r.attempts},
                     {"next_attempt_at", r.next_attempt_at},
                     {"last_error", r.last_error}});
  }
  return {{"id", m.queue_id},
          {"sender", m.sender},
          {"size", m.size},
          {"created_at", m.created_at},
          {"recipients", rcpts}};
}

int fail(const base::Error& e, bool json) {
  if (json) {
    std::cout << nlohmann::json{{"error", {{"code", base::errc_name(e.code)},
                                           {"message", e.message}}}}.dump()
              << "\n";
  } else {
    std::cerr << "error: " << e.message << "\n";
  }
  return 1;
}

base::Result<std::unique_ptr<store::sqlite::Db>> open_db(const std::string& data_dir) {
  auto db = PH_TRY(store::sqlite::Db::open(
      (std::filesystem::path(data_dir) / "posthouse.db").string()));
  PH_CHECK(db->migrate());
  return db;
}

}  // namespace

QueueCommands::QueueCommands(CLI::App& app, const DirectoryCommands& globals) : globals_(globals) {
  auto* noun = app.add_subcommand("queue", "the outbound queue");
  noun->require_subcommand(1);
  auto limit = std::make_shared<int>(100);
  auto* list = noun->add_subcommand("list", "list queued messages");
  list->add_option("--limit", *limit, "at most this many")->capture_default_str();
  list->callback([this, limit] {
    action_ = [this, limit]() -> int {
      auto db = open_db(globals_.data_dir());
      if (!db) return fail(db.error(), globals_.json_output());
      queue::QueueStore q(**db);
      auto msgs = q.list(*limit);
      if (!msgs) return fail(msgs.error(), globals_.json_output());
      if (globals_.json_output()) {
        nlohmann::json out = nlohmann::json::array();
        for (const auto& m : *msgs) out.push_back(to_json(m));
        std::cout << out.dump() << "\n";
      } else {
        for (const auto& m : *msgs) {
          std::cout << fmt::format("{}  {} bytes  from <{}>\n", m.queue_id, m.size, m.sender);
          for (const auto& r : m.recipients) {
            std::cout << fmt::format("    {}  {}  attempts={}{}\n", r.address,
                                     queue::state_name(r.state), r.attempts,
                                     r.last_error.empty() ? "" : "  " + r.last_error);
          }
        }
      }
      return 0;
    };
  });
  auto id = std::make_shared<std::string>();
  auto* show = noun->add_subcommand("show", "show one queued message");
  show->add_option("id", *id, "queue id")->required();
  show->callback([this, id] {
    action_ = [this, id]() -> int {
      auto db = open_db(globals_.data_dir());
      if (!db) return fail(db.error(), globals_.json_output());
      queue::QueueStore q(**db);
      auto m = q.get(*id);
      if (!m) return fail(m.error(), globals_.json_output());
      std::cout << (globals_.json_output() ? to_json(*m).dump() : to_json(*m).dump(2)) << "\n";
      return 0;
    };
  });
  struct Change {
    const char* verb;
    const char* help;
    const char* done;
    base::Status (*apply)(queue::QueueStore&, const std::string&);
  };
  for (const Change& c :
       {Change{"retry", "make a queued message's pending recipients due now", "due now",
               [](queue::QueueStore& q, const std::string& qid) {
                 return q.retry(qid, static_cast<int64_t>(std::time(nullptr)));
               }},
        Change{"delete", "delete a queued message (no bounce is sent)", "deleted",
               [](queue::QueueStore& q, const std::string& qid) { return q.remove(qid); }}}) {
    auto qid = std::make_shared<std::string>();
    auto* cmd = noun->add_subcommand(c.verb, c.help);
    cmd->add_option("id", *qid, "queue id")->required();
    cmd->callback([this, qid, c] {
      action_ = [this, qid, c]() -> int {
        auto db = open_db(globals_.data_dir());
        if (!db) return fail(db.error(), globals_.json_output());
        queue::QueueStore q(**db);
        if (auto st = c.apply(q, *qid); !st) return fail(st.error(), globals_.json_output());
        if (globals_.json_output()) {
          std::cout << nlohmann::json{{"ok", true}, {"id", *qid}}.dump() << "\n";
        } else {
          std::cout << fmt::format("{} {}\n", *qid, c.done);
        }
        return 0;
      };
    });
  }
}

int QueueCommands::run() { return action_(); }

}  // namespace posthouse::app
