#include "antispam/rspamd_client.h"

#include <gtest/gtest.h>

#include <string>

namespace posthouse::antispam {
namespace {

// As rspamd 3.4 answers GTUBE (tests/integration/test_spam_scan.py sees the real one).
constexpr std::string_view kGtube =
    R"({"is_skipped":true,"score":15.0,"required_score":15.0,"action":"reject",)"
    R"("symbols":{"GTUBE":{"name":"GTUBE","score":0.0,"metric_score":0.0}},)"
    R"("messages":{"smtp_message":"Gtube pattern"},"message-id":"undef","time_real":0.27})";

std::string error_of(std::string_view json) {
  auto r = parse_rspamd_reply(json);
  return r.ok() ? "(no error)" : r.error().message;
}

TEST(RspamdReply, Gtube) {
  auto r = parse_rspamd_reply(kGtube);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->action, RspamdAction::kReject);
  EXPECT_EQ(r->score, 15.0);
  EXPECT_EQ(r->required_score, 15.0);
  EXPECT_TRUE(r->skipped);
  ASSERT_EQ(r->symbols.size(), 1u);
  EXPECT_EQ(r->symbols[0].name, "GTUBE");
  ASSERT_EQ(r->messages.size(), 1u);
  EXPECT_EQ(r->messages[0].first, "smtp_message");
  EXPECT_EQ(r->messages[0].second, "Gtube pattern");
  EXPECT_TRUE(r->ok());
}

TEST(RspamdReply, SymbolsWithScoresAndOptions) {
  auto r = parse_rspamd_reply(
      R"({"score":7.5,"required_score":15,"action":"add header","symbols":{)"
      R"("R_SPF_FAIL":{"score":1.5,"options":["-all","x"]},"BAYES_SPAM":{"score":6}}})");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->action, RspamdAction::kAddHeader);
  EXPECT_FALSE(r->skipped);
  ASSERT_EQ(r->symbols.size(), 2u);
  EXPECT_EQ(r->symbols[0].name, "BAYES_SPAM");
  EXPECT_EQ(r->symbols[0].score, 6);
  EXPECT_EQ(r->symbols[1].name, "R_SPF_FAIL");
  EXPECT_EQ(r->symbols[1].score, 1.5);
  EXPECT_EQ(r->symbols[1].options, (std::vector<std::string>{"-all", "x"}));
}

TEST(RspamdReply, EveryAction) {
  for (auto a : {RspamdAction::kNoAction, RspamdAction::kGreylist, RspamdAction::kAddHeader,
                 RspamdAction::kRewriteSubject, RspamdAction::kSoftReject, RspamdAction::kReject}) {
    std::string json = R"({"score":1,"action":")" + std::string(rspamd_action_name(a)) + "\"}";
    auto r = parse_rspamd_reply(json);
    ASSERT_TRUE(r.ok()) << json;
    EXPECT_EQ(r->action, a);
  }
}

TEST(RspamdReply, MalformedAndMissingFields) {
  EXPECT_EQ(error_of(""), "rspamd reply is not JSON");
  EXPECT_EQ(error_of("{\"score\":1,"), "rspamd reply is not JSON");
  EXPECT_EQ(error_of("[1,2]"), "rspamd reply is not a JSON object");
  EXPECT_EQ(error_of(R"({"score":1})"), "rspamd reply has no action");
  EXPECT_EQ(error_of(R"({"score":1,"action":5})"), "rspamd reply has no action");
  EXPECT_EQ(error_of(R"({"score":1,"action":"discard\u0001"})"),
            "rspamd reply has an unknown action: discard?");
  EXPECT_EQ(error_of(R"({"action":"reject"})"), "rspamd reply has no score");
  EXPECT_EQ(error_of(R"({"action":"reject","score":"15"})"), "rspamd reply has no score");
  // Optional parts of the wrong type are ignored, not trusted.
  auto r = parse_rspamd_reply(
      R"({"action":"reject","score":1,"required_score":"x","is_skipped":1,"symbols":[1],)"
      R"("messages":"m"})");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->required_score, 0);
  EXPECT_FALSE(r->skipped);
  EXPECT_TRUE(r->symbols.empty());
  EXPECT_TRUE(r->messages.empty());
  auto odd = parse_rspamd_reply(R"({"action":"reject","score":1,"symbols":{"S":5,"T":{"score":"x",)"
                                R"("options":"o"}}})");
  ASSERT_TRUE(odd.ok());
  ASSERT_EQ(odd->symbols.size(), 2u);
  EXPECT_EQ(odd->symbols[1].score, 0);
  EXPECT_TRUE(odd->symbols[1].options.empty());
}

TEST(RspamdReply, DepthIsBounded) {
  std::string deep = R"({"action":"reject","score":1,"x":)" + std::string(100000, '[') +
                     std::string(100000, ']') + "}";
  EXPECT_EQ(error_of(deep), "rspamd reply nests deeper than 16");
  EXPECT_TRUE(json_depth_within(R"({"a":"[[[[[[[[[[[[[[[[[[[[[[[\"[[[["})", 2));
  EXPECT_TRUE(json_depth_within("[[]]", 2));
  EXPECT_FALSE(json_depth_within("[[[]]]", 2));
  EXPECT_TRUE(json_depth_within("]]]][[", 2));
}

TEST(RspamdReply, HugeRepliesAreCut) {
  std::string json = R"({"action":"no action","score":0,"symbols":{)";
  for (int i = 0; i < 2000; ++i) {
    if (i) json += ",";
    json += "\"S" + std::to_string(100000 + i) + "\":{\"score\":1,\"options\":[";
    for (int k = 0; k < 40; ++k) json += std::string(k ? "," : "") + "\"o\"";
    json += "]}";
  }
  json += R"(},"messages":{"smtp_message":")" + std::string(100000, 'm') + "\"}}";
  auto r = parse_rspamd_reply(json);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->symbols.size(), kMaxRspamdSymbols);
  EXPECT_EQ(r->symbols_dropped, 2000 - kMaxRspamdSymbols);
  EXPECT_EQ(r->symbols[0].options.size(), 16u);
  EXPECT_EQ(r->messages[0].second.size(), 1024u);
}

TEST(RspamdReply, OverflowingScoreIsRefused) {
  // nlohmann refuses a number out of double's range, so no infinity reaches a verdict.
  EXPECT_EQ(error_of(R"({"action":"reject","score":1e999})"), "rspamd reply is not JSON");
  EXPECT_EQ(error_of(R"({"action":"reject","score":-1e400})"), "rspamd reply is not JSON");
}

TEST(RspamdResult, FailOpenOrClosed) {
  RspamdResult failed;
  failed.error = "rspamd at 127.0.0.1:1: connect to 127.0.0.1:1: Connection refused";
  EXPECT_EQ(failed.effective_action(RspamdResult::OnError::kFailOpen), RspamdAction::kNoAction);
  EXPECT_EQ(failed.effective_action(RspamdResult::OnError::kFailClosed), RspamdAction::kSoftReject);
  auto gtube = parse_rspamd_reply(kGtube);
  ASSERT_TRUE(gtube.ok());
  EXPECT_EQ(gtube->effective_action(RspamdResult::OnError::kFailOpen), RspamdAction::kReject);
}

TEST(RspamdRequest, EnvelopeFields) {
  RspamdEnvelope e;
  e.ip = "192.0.2.7";
  e.helo = "mx.example";
  e.from = "a@example.org";
  e.rcpts = {"b@example.net", "c@example.net"};
  e.queue_id = "Q1";
  e.user = "alice";
  e.hostname = "mx.example";
  EXPECT_EQ(rspamd_check_fields(e), (HttpFields{{"IP", "192.0.2.7"},
                                                {"Helo", "mx.example"},
                                                {"From", "a@example.org"},
                                                {"Rcpt", "b@example.net"},
                                                {"Rcpt", "c@example.net"},
                                                {"Queue-Id", "Q1"},
                                                {"User", "alice"},
                                                {"Hostname", "mx.example"}}));
  EXPECT_EQ(rspamd_check_fields(RspamdEnvelope{}), (HttpFields{{"From", "<>"}}));
}

TEST(RspamdClient, UnreachableIsAnErrorResult) {
  RspamdOptions o;
  o.url = "http://127.0.0.1:1";
  o.controller_url = "http://h";
  RspamdClient client(o);
  auto r = client.check("Subject: x\r\n\r\nhi\r\n", {});
  EXPECT_EQ(r.error, "rspamd at 127.0.0.1:1: connect to 127.0.0.1:1: Connection refused");
  EXPECT_EQ(client.learn_spam("x").error, "rspamd controller: URL http://h needs host:port");
}

}  // namespace
}  // namespace posthouse::antispam
