// The SEARCH index of SqliteMailStore: answers, isolation, upkeep with the bodies, check and
// rebuild.
#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "store/sqlite/db.h"
#include "store/sqlite/test_mail_store.h"

namespace posthouse::store::sqlite {
namespace {

using testing::MailStoreTest;
using F = MailStore::TextField;

std::string mail(const std::string& subject, const std::string& body,
                 const std::string& extra = "") {
  return "From: a@example.com\r\nSubject: " + subject + "\r\n" + extra + "\r\n" + body;
}

class SearchIndexTest : public MailStoreTest {
 protected:
  std::vector<Uid> search(F f, std::string_view needle, FolderId folder = 0, MailboxId mb = 1) {
    auto r = store_->search_text(mb, folder ? folder : inbox1_, f, needle);
    EXPECT_TRUE(r.ok()) << r.error().message;
    EXPECT_TRUE(r.ok() && r->has_value()) << "no index answer for " << needle;
    return r.ok() && r->has_value() ? **r : std::vector<Uid>{};
  }
  void raw_sql(const std::string& sql) {
    auto db = Db::open(dir_ + "/mail.db");
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->exec(sql).ok()) << sql;
  }
};

TEST_F(SearchIndexTest, FindsDecodedTextSubjectAndHeader) {
  deliver_one(1, mail("Quarterly report", "the numbers are in\r\n"));
  deliver_one(1, mail("Lunch", "PGJ1ZGdldCBhcHByb3ZlZD4=\r\n",  // "<budget approved>"
                      "Content-Transfer-Encoding: base64\r\n"));
  deliver_one(1, mail("caf\xC3\xA9", "na=EFve caf=E9\r\n",
                      "Content-Type: text/plain; charset=iso-8859-1\r\n"
                      "Content-Transfer-Encoding: quoted-printable\r\nX-Tag: hello-header\r\n"));
  EXPECT_EQ(search(F::kSubject, "REPORT"), (std::vector<Uid>{1}));
  EXPECT_EQ(search(F::kBody, "budget APPROVED"), (std::vector<Uid>{2}));  // decoded base64
  EXPECT_EQ(search(F::kBody, "PGJ1ZGdl"), std::vector<Uid>{});           // not the encoding
  EXPECT_EQ(search(F::kBody, "na\xC3\xAFve"), (std::vector<Uid>{3}));    // latin-1 → UTF-8
  EXPECT_EQ(search(F::kText, "hello-header"), (std::vector<Uid>{3}));    // header, for TEXT
  EXPECT_EQ(search(F::kBody, "hello-header"), std::vector<Uid>{});
  EXPECT_EQ(search(F::kText, "numbers"), (std::vector<Uid>{1}));
  // LIKE's wildcards in a needle are plain characters.
  EXPECT_EQ(search(F::kBody, "n_mbers"), std::vector<Uid>{});
  EXPECT_EQ(search(F::kBody, "%%%"), std::vector<Uid>{});
  // Under three characters the index cannot help: the caller scans.
  auto short_needle = store_->search_text(1, inbox1_, F::kBody, "in");
  ASSERT_TRUE(short_needle.ok());
  EXPECT_FALSE(short_needle->has_value());
}

TEST_F(SearchIndexTest, AnswersOnlyForTheFolderAndItsOwner) {
  deliver_one(1, mail("shared words", "shared body\r\n"));
  deliver_one(2, mail("shared words", "shared body\r\n"));  // same bytes: one blob, two owners
  EXPECT_EQ(search(F::kBody, "shared"), (std::vector<Uid>{1}));
  EXPECT_EQ(search(F::kBody, "shared", inbox2_, 2), (std::vector<Uid>{1}));
  auto other = store_->search_text(1, inbox2_, F::kBody, "shared");  // mailbox 2's folder
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().code, base::Errc::kNotFound);
}

TEST_F(SearchIndexTest, RowsFollowTheBodiesAndCheckRebuilds) {
  deliver_one(1, mail("one", "alpha text\r\n"));
  deliver_one(1, mail("two", "beta text\r\n"));
  ASSERT_TRUE(store_->store_flags(1, inbox1_, UidSet{UidRange{1, 1}}, FlagOp::kAdd,
                                  Flags{kDeleted, {}}, std::nullopt)
                  .ok());
  ASSERT_TRUE(store_->expunge(1, inbox1_, std::nullopt).ok());
  EXPECT_EQ(search(F::kBody, "text"), (std::vector<Uid>{2}));
  auto clean = store_->check(false);
  ASSERT_TRUE(clean.ok());
  EXPECT_TRUE(clean->ok()) << clean->problems.front();  // no row left for the freed body
  store_.reset();
  raw_sql("DELETE FROM mail_search");
  open_store();  // the mark is still there: no rebuild at open
  auto broken = store_->check(false);
  ASSERT_TRUE(broken.ok());
  ASSERT_EQ(broken->problems.size(), 1u);
  EXPECT_EQ(broken->problems[0], "search index: 1 bodies not indexed");
  EXPECT_EQ(search(F::kBody, "beta"), std::vector<Uid>{});
  ASSERT_TRUE(store_->check(true).ok());
  EXPECT_EQ(search(F::kBody, "beta"), (std::vector<Uid>{2}));
  EXPECT_TRUE(store_->check(false)->ok());
}

// The rows of a batch's new bodies are written after all of its ops: every body that is still
// there at the commit has exactly one row, one created and freed within the batch has none, and
// an id freed and given again to a new body indexes the new body.
TEST_F(SearchIndexTest, ABatchIndexesTheBodiesLeftAfterItsOps) {
  testing::BatchGate gate;
  open_store(gate.hook());
  auto deliver = [&](MailboxId mb, std::string raw) {
    auto p = std::make_shared<std::promise<DeliveryResult>>();
    store_->deliver_async(Delivery{{mb}, "INBOX", std::move(raw), 0, {}},
                          [p](DeliveryResult r) { p->set_value(std::move(r)); });
    return p->get_future();
  };
  auto first = deliver(1, mail("first", "alpha words\r\n"));  // uid 1, the held batch
  gate.wait_held();
  // The next batch: two new bodies, a third (uid 3) then replaced by a copy of uid 1's body
  // (its own freed in the same batch, no new one), in this order.
  auto second = deliver(1, mail("second", "bravo words\r\n"));
  auto other = deliver(2, mail("other", "charlie words\r\n"));
  auto third = deliver(1, mail("third", "delta words\r\n"));
  std::thread replacer([&] {
    auto r = store_->append_many(1, inbox1_, {AppendItem{mail("first", "alpha words\r\n"), 0, {}}},
                                 ReplaceOf{inbox1_, 3});
    EXPECT_TRUE(r.ok()) << r.error().message;
  });
  while (store_->stats().queued < 4) std::this_thread::yield();
  gate.release();
  for (auto* f : {&first, &second, &other, &third}) {
    auto r = f->get();
    ASSERT_TRUE(r[0].ok()) << r[0].error().message;
  }
  replacer.join();
  EXPECT_EQ(*store_->uids(1, inbox1_), (std::vector<Uid>{1, 2, 4}));
  EXPECT_EQ(search(F::kBody, "words"), (std::vector<Uid>{1, 2, 4}));
  EXPECT_EQ(search(F::kBody, "delta"), std::vector<Uid>{});
  EXPECT_EQ(search(F::kBody, "charlie", inbox2_, 2), (std::vector<Uid>{1}));
  auto report = store_->check(false);
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok()) << report->problems.front();  // no row without its body, none missing

  // Across batches: a body freed, and its id given to the next new body.
  ASSERT_TRUE(store_->append_many(1, inbox1_, {AppendItem{mail("fifth", "echo words\r\n"), 0, {}}},
                                  ReplaceOf{inbox1_, 2})
                  .ok());
  EXPECT_EQ(search(F::kBody, "bravo"), std::vector<Uid>{});
  EXPECT_EQ(search(F::kBody, "echo"), (std::vector<Uid>{5}));
  EXPECT_TRUE(store_->check(false)->ok());
}

TEST_F(SearchIndexTest, AStoreWithoutTheMarkIsIndexedAtOpen) {
  inline_max_ = 16;  // bodies as files too
  deliver_one(1, mail("old mail", "delivered before the index existed\r\n"));
  store_.reset();
  raw_sql("DELETE FROM mail_search; DELETE FROM meta WHERE key = 'search_index'");
  open_store();
  EXPECT_EQ(search(F::kBody, "before the index"), (std::vector<Uid>{1}));
  EXPECT_EQ(search(F::kSubject, "old"), (std::vector<Uid>{1}));
}

}  // namespace
}  // namespace posthouse::store::sqlite
