// Test fixture shared by the directory tests: a temp SQLite database with two customers,
// managers, postmasters, mailboxes and delegations covering every role. Tests only.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "directory/service.h"
#include "store/sqlite/db.h"
#include "store/sqlite/directory_store.h"

namespace posthouse::directory::testing {

inline Options fast_options() {
  Options o;
  o.password.opslimit = 1;
  o.password.memlimit = 8192;
  o.password.min_length = 8;
  return o;
}

// One connection + store + service on a file database (so other connections can share it).
struct Conn {
  std::unique_ptr<store::sqlite::Db> db;
  std::unique_ptr<store::sqlite::SqliteDirectoryStore> store;
  std::unique_ptr<Service> svc;
  Conn(const std::string& path, Options opts, Policy::Clock clock) {
    auto d = store::sqlite::Db::open(path);
    EXPECT_TRUE(d.ok());
    db = std::move(*d);
    EXPECT_TRUE(db->migrate().ok());
    store = std::make_unique<store::sqlite::SqliteDirectoryStore>(*db);
    svc = std::make_unique<Service>(*store, std::move(opts), std::move(clock));
  }
};

template <class T>
T must(base::Result<T> r, const char* what) {
  if (!r.ok()) {
    ADD_FAILURE() << what << ": " << r.error().message;
    std::abort();
  }
  return std::move(r).value();
}
// The error code of a failed result (-1 cast to Errc for a success), for EXPECT_EQ.
template <class R>
base::Errc code(const R& r) {
  return r.ok() ? static_cast<base::Errc>(-1) : r.error().code;
}
inline void must_ok(base::Status s, const char* what) {
  if (!s.ok()) {
    ADD_FAILURE() << what << ": " << s.error().message;
    std::abort();
  }
}

class World : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("ph-dir-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "posthouse.db").string();
    conn_ = std::make_unique<Conn>(path_, options(), [this] { return now_; });
    build();
  }
  void TearDown() override {
    conn_.reset();
    std::filesystem::remove_all(dir_);
  }
  virtual Options options() { return fast_options(); }
  Service& svc() { return *conn_->svc; }
  store::DirectoryStore& store() { return *conn_->store; }
  Actor admin() { return Service::cli_admin(); }
  Actor as(const std::string& login) { return must(svc().actor_for(login), login.c_str()); }

  void build() {
    Actor a = admin();
    must(svc().create_customer(a, {"acme", "boss@acme.test", "customer-pw-1", {}}), "acme");
    must(svc().create_customer(a, {"globex", "ceo@globex.test", "customer-pw-2", {}}), "globex");
    must(svc().create_domain(a, {"acme", "a.example", "postmaster-pw", {}, ""}), "a");
    must(svc().create_domain(a, {"acme", "b.example", std::nullopt, {}, ""}), "b");
    must(svc().create_domain(a, {"globex", "g.example", "postmaster-pw", {}, ""}), "g");
    TemplateSettings staff;
    staff.quota_bytes = 100 << 20;
    TemplateSettings exec = staff;
    exec.quota_bytes = 200 << 20;
    must(svc().create_template(a, "acme", "staff", staff), "staff");
    must(svc().create_template(a, "acme", "exec", exec), "exec");
    must(svc().create_template(a, "globex", "gstaff", staff), "gstaff");
    must(svc().create_template(a, "-", "basic", staff), "platform template");
    ManagerSpec sm{"acme", "sm@outside.test", "Scoped", ManagerKind::kScoped, {"a.example"},
                   {},     "manager-pw-1"};
    must(svc().create_manager(a, sm), "sm");
    ManagerSpec fm{"acme", "fm@outside.test", "Full", ManagerKind::kFull, {}, {}, "manager-pw-2"};
    must(svc().create_manager(a, fm), "fm");
    ManagerSpec om{"acme", "other@outside.test", "Other", ManagerKind::kScoped, {"b.example"},
                   {},     std::nullopt};
    must(svc().create_manager(a, om), "other");
    ManagerSpec gm{"globex", "gm@outside.test", "G", ManagerKind::kFull, {}, {}, std::nullopt};
    must(svc().create_manager(a, gm), "gm");
    for (auto addr :
         {"alice@a.example", "bob@a.example", "hr@a.example", "old@a.example", "gone@a.example"})
      must(svc().create_mailbox(a, {addr, "", "staff", "user-password", std::nullopt}), addr);
    must(svc().create_mailbox(a, {"carol@b.example", "", "staff", "user-password", {}}), "carol");
    must(svc().create_mailbox(a, {"gina@g.example", "", "gstaff", "user-password", {}}), "gina");
    must(svc().set_alias(a, "sales@a.example", {"bob@a.example"}), "alias a");
    must(svc().set_alias(a, "sales@b.example", {"carol@b.example"}), "alias b");
    must(svc().set_alias(a, "sales@g.example", {"gina@g.example"}), "alias g");
    DelegationSpec hr{"hr@a.example",
                      {Verb::kMailboxCreate, Verb::kMailboxDelete, Verb::kMailboxPassword},
                      {"a.example"},
                      {"staff"},
                      std::nullopt};
    must(svc().create_delegation(a, hr), "hr delegation");
    DelegationSpec old = hr;
    old.grantee = "old@a.example";
    old.expires_at = now_ + 100;
    must(svc().create_delegation(a, old), "old delegation");
    DelegationSpec gone = hr;
    gone.grantee = "gone@a.example";
    must(svc().create_delegation(a, gone), "gone delegation");
    must_ok(svc().delete_mailbox(a, "gone@a.example"), "delete gone");
    now_ += 1000;  // old's delegation has expired
  }

  std::filesystem::path dir_;
  std::string path_;
  Time now_ = 1'700'000'000;
  std::unique_ptr<Conn> conn_;
};

}  // namespace posthouse::directory::testing
