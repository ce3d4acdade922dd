// The SEARCH index of SqliteMailStore: answers, isolation, upkeep with the bodies, check and
// rebuild.
#include <gtest/gtest.h>

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
