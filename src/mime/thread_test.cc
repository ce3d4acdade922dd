#include "mime/thread.h"

#include <gtest/gtest.h>

#include <deque>

#include "mime/subject.h"

namespace posthouse::mime {
namespace {

// A mailbox under construction: each add() is the next sequence number, one day apart.
struct Box {
  std::deque<std::vector<std::string>> refs;  // stable addresses for the spans
  std::vector<ThreadMessage> msgs;
  std::deque<std::string> text;
  Box& add(std::string id, std::vector<std::string> references, std::string subject,
           std::string in_reply_to = "", int64_t date = -1) {
    refs.push_back(std::move(references));
    text.push_back(std::move(id));
    std::string_view idv = text.back();
    text.push_back(std::move(subject));
    std::string_view sv = text.back();
    text.push_back(std::move(in_reply_to));
    std::string_view irt = text.back();
    auto seq = static_cast<uint32_t>(msgs.size() + 1);
    msgs.push_back({idv, refs.back(), irt, sv, date >= 0 ? date : seq * 86400, seq});
    return *this;
  }
  std::string refs_list() const { return list(thread_references(msgs)); }
  std::string subject_list() const { return list(thread_ordered_subject(msgs)); }
  std::string list(const ThreadForest& f) const {
    std::vector<uint32_t> nums;
    for (const auto& m : msgs) nums.push_back(m.seq);
    return format_thread_list(f, nums);
  }
};

TEST(Thread, ChainsBranchesAndSiblingsAsRfc5256Writes) {
  Box b;
  b.add("<1@x>", {}, "a")
      .add("<2@x>", {"<1@x>"}, "Re: a")
      .add("<3@x>", {"<1@x>", "<2@x>"}, "Re: a")
      .add("<4@x>", {"<1@x>", "<2@x>"}, "Re: a")
      .add("<5@x>", {"<1@x>", "<2@x>", "<4@x>"}, "Re: a")
      .add("<6@x>", {}, "other");
  EXPECT_EQ(b.refs_list(), "(1 2 (3)(4 5))(6)");
}

TEST(Thread, MissingParentWithTwoChildrenIsADummyAndWithOneIsPromoted) {
  Box b;
  b.add("<1@x>", {"<gone@x>"}, "p").add("<2@x>", {"<gone@x>"}, "q");
  b.add("<3@x>", {"<gone2@x>"}, "r");
  EXPECT_EQ(b.refs_list(), "((1)(2))(3)");
}

TEST(Thread, DummiesBelowTheTopAreSplicedIntoTheirParent) {
  Box b;
  b.add("<1@x>", {}, "a")
      .add("<2@x>", {"<1@x>", "<gone@x>"}, "b")
      .add("<3@x>", {"<1@x>", "<gone@x>"}, "c");
  EXPECT_EQ(b.refs_list(), "(1 (2)(3))");
}

TEST(Thread, InReplyToIsUsedOnlyWithoutReferences) {
  Box b;
  b.add("<1@x>", {}, "a").add("<2@x>", {}, "b").add("<3@x>", {"<2@x>"}, "c", "<1@x>");
  b.add("<4@x>", {}, "d", "<1@x>");
  EXPECT_EQ(b.refs_list(), "(1 4)(2 3)");
}

TEST(Thread, SubjectsMergeRepliesUnderTheOriginalAndEqualsUnderADummy) {
  Box b;
  b.add("<1@x>", {}, "Re: topic").add("<2@x>", {}, "topic").add("<3@x>", {}, "RE: Topic");
  // The non-reply takes the table; the replies become its children.
  EXPECT_EQ(b.refs_list(), "(2 (1)(3))");
  Box c;
  c.add("<1@x>", {}, "same").add("<2@x>", {}, "Same").add("<3@x>", {}, "");
  c.add("<4@x>", {}, "");
  EXPECT_EQ(c.refs_list(), "((1)(2))(3)(4)");
}

TEST(Thread, LoopsAndSelfReferencesAreNotLinked) {
  Box b;
  b.add("<1@x>", {"<2@x>"}, "a").add("<2@x>", {"<1@x>"}, "b").add("<3@x>", {"<3@x>"}, "c");
  // 1 names 2 its parent; 2's claim on 1 would close a loop and is dropped.
  EXPECT_EQ(b.refs_list(), "(2 1)(3)");
}

TEST(Thread, ADuplicateMessageIdIsTreatedAsUnique) {
  Box b;
  b.add("<1@x>", {}, "a").add("<1@x>", {}, "b").add("<3@x>", {"<1@x>"}, "c");
  EXPECT_EQ(b.refs_list(), "(1 3)(2)");
}

TEST(Thread, QuotedMsgIdsMatchTheirUnquotedForm) {
  Box b;
  b.add("<\"a.b\"@x>", {}, "a").add("<2@x>", {"<a.b@x>"}, "b");
  EXPECT_EQ(b.refs_list(), "(1 2)");
}

TEST(Thread, SiblingsAndThreadsFollowTheSentDateThenTheSequence) {
  Box b;
  b.add("<1@x>", {}, "a", "", 500).add("<2@x>", {"<1@x>"}, "b", "", 900);
  b.add("<3@x>", {"<1@x>"}, "c", "", 700).add("<4@x>", {}, "d", "", 100);
  b.add("<5@x>", {}, "e", "", 100);
  EXPECT_EQ(b.refs_list(), "(4)(5)(1 (3)(2))");
}

TEST(Thread, OrderedSubjectGroupsByBaseSubjectUnderTheEarliest) {
  Box b;
  b.add("<1@x>", {}, "b").add("<2@x>", {}, "a").add("<3@x>", {}, "Re: b");
  b.add("<4@x>", {}, "Fwd: A").add("<5@x>", {}, "[list] b").add("<6@x>", {}, "c");
  EXPECT_EQ(b.subject_list(), "(1 (3)(5))(2 4)(6)");
}

TEST(Thread, AHundredThousandMessageReplyChainNeedsNoStack) {
  Box b;
  const int n = 100000;
  b.add("<0@x>", {}, "chain");
  for (int i = 1; i < n; ++i) {
    b.add("<" + std::to_string(i) + "@x>", {}, "Re: chain", "<" + std::to_string(i - 1) + "@x>");
  }
  std::string out = b.refs_list();
  ASSERT_EQ(out.substr(0, 6), "(1 2 3");
  EXPECT_EQ(out.substr(out.size() - 13), "99999 100000)");
  EXPECT_EQ(std::count(out.begin(), out.end(), ' '), n - 1);
}

TEST(Thread, DeepNestingOfBranchesIsFormattedWithoutRecursion) {
  // Message k has two replies: a leaf and k+2, which branches again; 50,000 levels deep.
  Box b;
  b.add("<0@x>", {}, "t");
  int levels = 50000;
  for (int k = 0; k < levels; ++k) {
    std::string parent = "<" + std::to_string(2 * k) + "@x>";
    b.add("<" + std::to_string(2 * k + 1) + "@x>", {}, "t", parent);
    b.add("<" + std::to_string(2 * k + 2) + "@x>", {}, "t", parent);
  }
  std::string out = b.refs_list();
  EXPECT_EQ(out.substr(0, 11), "(1 (2)(3 (4");
  EXPECT_EQ(std::count(out.begin(), out.end(), '('), 1 + 2 * levels);
  EXPECT_EQ(std::count(out.begin(), out.end(), ')'), 1 + 2 * levels);
}

TEST(BaseSubject, Rfc5256Extraction) {
  auto b = [](std::string_view s) { return extract_base_subject(s); };
  EXPECT_EQ(b("Re: [list] Fwd: hello (fwd)").text, "hello");
  EXPECT_TRUE(b("Re: [list] Fwd: hello (fwd)").reply_or_forward);
  EXPECT_EQ(b("  RE:  re[2]: the \t  thing ").text, "the thing");
  EXPECT_EQ(b("[Fwd: topic]").text, "topic");
  EXPECT_TRUE(b("[Fwd: topic]").reply_or_forward);
  EXPECT_TRUE(b("topic (FWD)").reply_or_forward);
  EXPECT_FALSE(b("[list] topic").reply_or_forward);
  EXPECT_EQ(b("[list] topic").text, "topic");
  EXPECT_EQ(b("[list]").text, "[list]");   // a blob alone is the base subject
  EXPECT_EQ(b("[a[b] x").text, "[a[b] x");  // '[' is not a BLOBCHAR
  EXPECT_EQ(b("Re:").text, "");
  EXPECT_EQ(b("Fwdy: x").text, "Fwdy: x");
  EXPECT_EQ(b("[fwd: Re: x (fwd)]").text, "x");
}

TEST(BaseSubject, UnicodeCasemapFoldsCaseAndCompatibilityForms) {
  EXPECT_EQ(unicode_casemap("Hello"), "HELLO");
  EXPECT_EQ(unicode_casemap("caf\xC3\xA9"), unicode_casemap("CAF\xC3\x89"));  // café / CAFÉ
  EXPECT_EQ(unicode_casemap("\xEF\xAC\x81"), "fi");  // the "ﬁ" ligature decomposes (NFKD)
  EXPECT_EQ(unicode_casemap("\xFF\xFE"), "\xFF\xFE");  // not UTF-8: octets
}

}  // namespace
}  // namespace posthouse::mime
