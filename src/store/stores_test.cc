// Contract tests of the store interfaces (store/*.h), written against the interfaces only and
// run for every backend in kBackends: a new backend (PostgreSQL) adds its factory there and
// must pass the same tests. Backend-specific tests (SQL details, files) stay in store/<backend>/.
#include "store/stores.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <thread>

#include "store/sqlite/stores.h"

namespace posthouse::store {
namespace {

namespace fs = std::filesystem;

struct BackendCase {
  std::string name;
  // A fresh, migrated, empty backend in `dir`.
  std::function<std::unique_ptr<Backend>(const fs::path& dir)> make;
};

const BackendCase kBackends[] = {
    {"sqlite",
     [](const fs::path& dir) -> std::unique_ptr<Backend> {
       return std::make_unique<sqlite::SqliteBackend>((dir / "posthouse.db").string());
     }},
};

class StoresContract : public ::testing::TestWithParam<BackendCase> {
 protected:
  void SetUp() override {
    static std::atomic<int> seq{0};
    dir_ = fs::temp_directory_path() /
           ("ph-stores-" + std::to_string(getpid()) + "-" + std::to_string(seq++));
    fs::create_directories(dir_);
    backend_ = GetParam().make(dir_);
    ASSERT_TRUE(backend_->migrate().ok());
    auto s = backend_->open();
    ASSERT_TRUE(s.ok()) << s.error().message;
    stores_ = std::move(*s);
  }
  void TearDown() override {
    stores_.reset();
    backend_.reset();
    fs::remove_all(dir_);
  }
  std::unique_ptr<Stores> second() {
    auto s = backend_->open();
    EXPECT_TRUE(s.ok());
    return s.ok() ? std::move(*s) : nullptr;
  }

  fs::path dir_;
  std::unique_ptr<Backend> backend_;
  std::unique_ptr<Stores> stores_;
};

TEST_P(StoresContract, MigrateTwiceIsANoOp) { EXPECT_TRUE(backend_->migrate().ok()); }

TEST_P(StoresContract, SessionsInsertFindTouchRemoveSweep) {
  auto& s = stores_->sessions();
  SessionRecord r{"h1", "principal", 7, "csrf", "127.0.0.1", 100, 100, 200};
  ASSERT_TRUE(s.insert(r).ok());
  EXPECT_FALSE(s.insert(r).ok()) << "a second row with one hash";
  auto got = s.find("h1");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->subject_kind, "principal");
  EXPECT_EQ((*got)->subject_id, 7);
  EXPECT_EQ((*got)->csrf, "csrf");
  EXPECT_EQ((*got)->expires_at, 200);
  ASSERT_TRUE(s.touch("h1", 150).ok());
  EXPECT_EQ((*second()->sessions().find("h1"))->last_seen_at, 150) << "seen by another connection";
  EXPECT_FALSE(s.find("nope")->has_value());

  ASSERT_TRUE(s.insert({"h2", "mailbox", 7, "c", "::1", 100, 100, 200}).ok());
  ASSERT_TRUE(s.insert({"h3", "principal", 8, "c", "::1", 100, 100, 200}).ok());
  ASSERT_TRUE(s.remove_subject("principal", 7).ok());
  EXPECT_FALSE(s.find("h1")->has_value());
  EXPECT_TRUE(s.find("h2")->has_value()) << "same id, other kind: kept";
  ASSERT_TRUE(s.insert({"old", "principal", 9, "c", "::1", 10, 10, 500}).ok());
  ASSERT_TRUE(s.sweep(/*expired_at=*/150, /*idle_since=*/50).ok());
  EXPECT_FALSE(s.find("old")->has_value()) << "idle since 10";
  EXPECT_TRUE(s.find("h3")->has_value());
  ASSERT_TRUE(s.sweep(/*expired_at=*/200, /*idle_since=*/0).ok());
  EXPECT_FALSE(s.find("h3")->has_value()) << "expired at 200";
  ASSERT_TRUE(s.remove("h2").ok());
  EXPECT_FALSE(s.find("h2")->has_value());
}

TEST_P(StoresContract, DkimKeysFirstWriterWins) {
  auto& k = stores_->dkim_keys();
  EXPECT_TRUE(k.get("example.org")->empty());
  std::vector<DkimKeyRecord> first = {{"example.org", "ed25519-sha256", "s1e", "priv-e", "pub-e"},
                                      {"example.org", "rsa-sha256", "s1r", "priv-r", "pub-r"}};
  ASSERT_TRUE(k.insert_absent(first, 1).ok());
  std::vector<DkimKeyRecord> racer = {{"example.org", "rsa-sha256", "s2r", "other", "other"}};
  ASSERT_TRUE(second()->dkim_keys().insert_absent(racer, 2).ok());
  auto got = k.get("example.org");
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 2u);
  EXPECT_EQ((*got)[0].algorithm, "rsa-sha256") << "rsa first";
  EXPECT_EQ((*got)[0].selector, "s1r") << "the first writer's key is kept";
  EXPECT_EQ((*got)[1].public_b64, "pub-e");
  EXPECT_TRUE(k.get("other.org")->empty());
}

TEST_P(StoresContract, AutoreplyOncePerSenderPerPeriodEvenUnderRaces) {
  auto& a = stores_->autoreply();
  EXPECT_TRUE(*a.claim(1, "x@remote.test", 100, 1000));
  EXPECT_FALSE(*a.claim(1, "x@remote.test", 100, 1050));
  EXPECT_TRUE(*a.claim(2, "x@remote.test", 100, 1050)) << "another mailbox";
  EXPECT_TRUE(*a.claim(1, "x@remote.test", 100, 1100)) << "the period is over";
  // Eight connections race for one (mailbox, sender) at one instant: exactly one wins.
  std::atomic<int> wins{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      auto s = backend_->open();
      ASSERT_TRUE(s.ok());
      for (int tries = 0; tries < 50; ++tries) {
        auto r = (*s)->autoreply().claim(3, "race@remote.test", 100, 5000);
        if (r.ok()) {
          if (*r) ++wins;
          return;
        }
      }
      ADD_FAILURE() << "claim kept failing";
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wins.load(), 1);
}

TEST_P(StoresContract, GreylistRemembersFirstTriesAndAllowances) {
  auto& g = stores_->greylist();
  auto tried = [&](std::string_view net, std::string_view sender, std::string_view rcpt,
                   int64_t now) {
    auto t = g.attempt(net, sender, rcpt, now);
    EXPECT_TRUE(t.ok()) << t.error().message;
    return t.ok() ? std::pair(t->first_seen, t->tries) : std::pair<int64_t, int64_t>(-1, -1);
  };
  using P = std::pair<int64_t, int64_t>;
  EXPECT_EQ(tried("192.0.2.0/24", "a@remote.test", "u@local.test", 1000), P(1000, 1));
  EXPECT_EQ(tried("192.0.2.0/24", "a@remote.test", "u@local.test", 1000), P(1000, 2))
      << "a retry in the same second still counts";
  EXPECT_EQ(tried("192.0.2.0/24", "a@remote.test", "u@local.test", 1300), P(1000, 3));
  EXPECT_EQ(tried("192.0.2.0/24", "a@remote.test", "v@local.test", 1300), P(1300, 1))
      << "another recipient is another triplet";
  EXPECT_EQ(tried("198.51.100.0/24", "a@remote.test", "u@local.test", 1400), P(1400, 1));
  EXPECT_EQ(tried("192.0.2.0/24", "", "u@local.test", 1400), P(1400, 1)) << "null sender";
  ASSERT_TRUE(g.restart("192.0.2.0/24", "a@remote.test", "u@local.test", 9000).ok());
  EXPECT_EQ(tried("192.0.2.0/24", "a@remote.test", "u@local.test", 9001), P(9000, 2));

  EXPECT_FALSE(*g.allowed(GreylistAllow::kNetwork, "192.0.2.0/24 remote.test", 1000));
  ASSERT_TRUE(g.allow(GreylistAllow::kNetwork, "192.0.2.0/24 remote.test", 5000).ok());
  EXPECT_TRUE(*g.allowed(GreylistAllow::kNetwork, "192.0.2.0/24 remote.test", 4999));
  EXPECT_FALSE(*g.allowed(GreylistAllow::kNetwork, "192.0.2.0/24 remote.test", 5000));
  EXPECT_FALSE(*g.allowed(GreylistAllow::kDomain, "192.0.2.0/24 remote.test", 1000))
      << "kinds are separate";
  ASSERT_TRUE(g.allow(GreylistAllow::kNetwork, "192.0.2.0/24 remote.test", 3000).ok());
  EXPECT_TRUE(*g.allowed(GreylistAllow::kNetwork, "192.0.2.0/24 remote.test", 4999))
      << "an earlier until never shortens an allowance";
  ASSERT_TRUE(g.allow(GreylistAllow::kDomain, "remote.test", 8000).ok());

  // The triplet last tried before 1350 goes (v@, at 1300), and the allowance over at 6000.
  EXPECT_EQ(*g.expire(1350, 6000), 1 + 1);
  EXPECT_EQ(tried("192.0.2.0/24", "a@remote.test", "v@local.test", 9100), P(9100, 1));
  EXPECT_EQ(tried("192.0.2.0/24", "a@remote.test", "u@local.test", 9100), P(9000, 3));
  EXPECT_FALSE(*g.allowed(GreylistAllow::kNetwork, "192.0.2.0/24 remote.test", 5500));
  EXPECT_TRUE(*g.allowed(GreylistAllow::kDomain, "remote.test", 7000));
}

TEST_P(StoresContract, QueueClaimsEachRecipientOnceAcrossConnections) {
  NewMessage m;
  m.sender = "a@local.test";
  m.body = "Subject: x\r\n\r\nbody\r\n";
  for (int i = 0; i < 20; ++i) {
    NewRecipient r;
    r.address = "r" + std::to_string(i) + "@d" + std::to_string(i % 4) + ".test";
    m.recipients.push_back(r);
  }
  auto qid = stores_->queue().enqueue(m, 100);
  ASSERT_TRUE(qid.ok()) << qid.error().message;
  auto other = second();
  std::atomic<int> claimed{0};
  std::vector<std::thread> threads;
  for (auto* q : {&stores_->queue(), &other->queue()}) {
    threads.emplace_back([&, q] {
      // Claim until the queue answers "nothing due"; a busy database is retried.
      for (int attempt = 0; attempt < 100000; ++attempt) {
        auto c = q->claim_due(200, 3);
        if (!c.ok()) continue;
        if (c->empty()) break;
        for (const auto& claim : *c) claimed += static_cast<int>(claim.recipients.size());
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(claimed.load(), 20);
  EXPECT_EQ(*stores_->queue().count(RecipientState::kSending), 20);
  EXPECT_EQ(*stores_->queue().count(RecipientState::kQueued), 0);
}

TEST_P(StoresContract, QueueChangeAndAuditCommitTogetherInOneDirectoryTransaction) {
  NewMessage m;
  m.sender = "a@local.test";
  m.body = "x";
  NewRecipient r;
  r.address = "b@remote.test";
  m.recipients = {r};
  auto qid = *stores_->queue().enqueue(m, 100);
  // A failing step after the queue change rolls the queue change and the audit record back.
  auto st = stores_->directory().in_transaction([&]() -> base::Status {
    PH_CHECK(stores_->queue().remove_in_transaction(qid));
    model::AuditRecord r;
    r.at = 1;
    r.actor = "t";
    r.actor_kind = "admin";
    r.verb = "queue.manage";
    r.target = "queue:" + qid;
    PH_CHECK(stores_->directory().append_audit(r));
    return base::Error(base::Errc::kConflict, "changed my mind");
  });
  EXPECT_FALSE(st.ok());
  EXPECT_TRUE(stores_->queue().get(qid).ok()) << "the removal was rolled back";
  EXPECT_TRUE(stores_->directory().list_audit(0, 0, 10)->empty()) << "so was the audit record";
  ASSERT_TRUE(stores_->directory()
                  .in_transaction([&] { return stores_->queue().remove_in_transaction(qid); })
                  .ok());
  EXPECT_EQ(stores_->queue().get(qid).error().code, base::Errc::kNotFound);
}

TEST_P(StoresContract, QuarantineHoldsOneBodyForSeveralMailboxesUntilTheLastGoes) {
  auto& q = stores_->quarantine();
  HeldMessage a;
  a.mailbox_id = 7;
  a.domain_id = 3;
  a.recipient = "a@example.test";
  a.sender = "spam@elsewhere.test";
  a.subject = "Cheap";
  a.reason = "spam score 9.50";
  a.score = 9.5;
  a.held_at = 1000;
  a.expires_at = 2000;
  a.token_hash = "hash-a";
  HeldMessage b = a;
  b.mailbox_id = 8;
  b.domain_id = 4;
  b.recipient = "b@other.test";
  b.token_hash = "hash-b";
  b.expires_at = 3000;
  std::string raw = std::string("Subject: Cheap\r\n\r\n") + std::string(1, '\0') + "body";
  auto ids = q.hold({a, b}, raw);
  ASSERT_TRUE(ids.ok()) << ids.error().message;
  ASSERT_EQ(ids->size(), 2u);

  auto got = q.get((*ids)[0]);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->recipient, "a@example.test");
  EXPECT_DOUBLE_EQ(got->score, 9.5);
  EXPECT_EQ(got->size, static_cast<int64_t>(raw.size()));
  EXPECT_FALSE(got->noticed);
  EXPECT_EQ(q.by_token("hash-b")->id, (*ids)[1]);
  EXPECT_EQ(q.by_token("nope").error().code, base::Errc::kNotFound);
  EXPECT_EQ(q.by_token("").error().code, base::Errc::kNotFound);
  EXPECT_EQ(*q.body((*ids)[1]), raw);

  EXPECT_EQ(q.list({.mailbox_id = 8, .domain_ids = {}})->size(), 1u);
  EXPECT_EQ(q.list({.domain_ids = {3, 9}})->front().id, (*ids)[0]);
  EXPECT_EQ(q.list({})->front().id, (*ids)[1]);  // newest first
  EXPECT_EQ(q.list({.domain_ids = {}, .before_id = (*ids)[1]})->size(), 1u);
  EXPECT_TRUE(q.list({.domain_ids = {99}})->empty());

  // Notices: both pending; once told, a mailbox waits until its last notice is old enough.
  EXPECT_EQ(q.pending_notices(0, 1500, 10)->size(), 2u);
  EXPECT_EQ(q.pending_notices(8, 1500, 10)->size(), 1u);
  ASSERT_TRUE(q.noticed(7, {{(*ids)[0], "told-a"}}, 1500).ok());
  EXPECT_EQ(q.pending_notices(0, 1500, 10)->size(), 1u);
  EXPECT_EQ(q.by_token("told-a")->id, (*ids)[0]);
  EXPECT_EQ(q.by_token("hash-a").error().code, base::Errc::kNotFound);
  HeldMessage c = a;
  c.token_hash = "hash-c";
  auto more = q.hold({c}, "x");
  ASSERT_TRUE(more.ok());
  EXPECT_EQ(q.pending_notices(0, 1400, 10)->size(), 1u);  // mailbox 7 told at 1500 > 1400
  EXPECT_EQ(q.pending_notices(0, 1500, 10)->size(), 2u);  // told at 1500, not after 1500
  EXPECT_TRUE(q.get((*ids)[0])->noticed);

  // The body stays while one entry uses it; expiry and removal take entries.
  ASSERT_TRUE(q.remove((*ids)[0]).ok());
  EXPECT_EQ(q.remove((*ids)[0]).error().code, base::Errc::kNotFound);
  EXPECT_EQ(*q.body((*ids)[1]), raw);
  EXPECT_EQ(*q.purge_expired(2000), 1);  // c expires at 2000
  EXPECT_EQ(*q.purge_expired(2999), 0);
  EXPECT_EQ(*q.purge_expired(3000), 1);
  EXPECT_EQ(q.body((*ids)[1]).error().code, base::Errc::kNotFound);
  EXPECT_TRUE(q.list({})->empty());
}

TEST_P(StoresContract, DmarcReportRowsCountPerDayAndRow) {
  auto& r = stores_->dmarc_reports();
  DmarcReportRow row;
  row.day = 20000;
  row.domain = "sender.test";
  row.policy_domain = "sender.test";
  row.rua = "mailto:dmarc@sender.test";
  row.published = "p=reject; sp=reject; pct=100; adkim=r; aspf=r";
  row.source_ip = "192.0.2.1";
  row.envelope_from = "sender.test";
  row.disposition = "none";
  row.dkim = "pass";
  row.spf = "pass";
  row.dkim_domains = "d=sender.test:pass";
  row.spf_result = "pass";
  row.count = 1;
  ASSERT_TRUE(r.add({row}).ok());
  auto two = row;
  two.count = 2;
  auto other = row;
  other.source_ip = "198.51.100.7";
  other.disposition = "reject";
  other.dkim = "fail";
  other.published = "p=quarantine; sp=reject; pct=100; adkim=r; aspf=r";
  auto next_day = row;
  next_day.day = 20001;
  next_day.domain = "b.test";
  ASSERT_TRUE(r.add({two, other, next_day}).ok());
  ASSERT_TRUE(r.add({}).ok());

  auto rows = r.rows("sender.test", 20000, 20000);
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].source_ip, "192.0.2.1");
  EXPECT_EQ((*rows)[0].count, 3);
  EXPECT_EQ((*rows)[1].count, 1);
  EXPECT_EQ((*rows)[0].published, other.published);  // the day's latest
  EXPECT_EQ(*r.domains(20000, 20001), (std::vector<std::string>{"b.test", "sender.test"}));
  EXPECT_EQ(*r.domains(20001, 20001), (std::vector<std::string>{"b.test"}));
  EXPECT_EQ(*r.expire(20001), 2);
  EXPECT_TRUE(r.rows("sender.test", 0, 30000)->empty());
  EXPECT_EQ(r.rows("b.test", 0, 30000)->size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Backends, StoresContract, ::testing::ValuesIn(kBackends),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace posthouse::store
