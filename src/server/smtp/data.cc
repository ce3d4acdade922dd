// The message itself: DATA (dot-stuffed, RFC 5321 4.1.1.4) and BDAT chunks (CHUNKING, RFC
// 3030), the Received header, and the hand-off to the gateway that answers 250 only once the
// message is durable.
#include "base/clock.h"
#include "base/date.h"
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "protocol/smtp/data_decoder.h"
#include "server/smtp/session.h"

namespace posthouse::server::smtp {

using base::Errc;

namespace {

// The HELO argument is one token of any bytes but space; in a header, controls (a tab, a NUL)
// and 8-bit bytes become '?', so the header stays one well-formed field.
std::string header_safe(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c < 0x21 || c > 0x7e) c = '?';
  }
  return out;
}

}  // namespace

asio::awaitable<void> Session::learn_client_name() {
  if (client_name_known_) co_return;
  if (name_lookup_) client_name_ = co_await name_lookup_->get();
  name_lookup_.reset();
  client_name_known_ = true;
}

// RFC 5321 4.4 with Postfix's layout: "from" the HELO name, then the client's verified name
// (or "unknown") and address, the TLS version and cipher as an RFC 8314 7 comment, "by" us,
// "with" the protocol (RFC 3848: ESMTP, ESMTPS, ESMTPSA), our id, the one recipient, the date.
std::string Session::received_header() const {
  std::string with = ehlo_ ? "ESMTP" : "SMTP";
  if (conn_->is_tls()) with += "S";
  if (auth_) with += "A";
  const std::string& ip = conn_->peer_ip();
  std::string literal = ip.find(':') != std::string::npos ? "IPv6:" + ip : ip;
  std::string out = fmt::format("Received: from {} ({} [{}])", header_safe(helo_),
                                client_name_.empty() ? "unknown" : client_name_, literal);
  if (conn_->is_tls()) {
    std::string info = conn_->tls_info();  // "TLSv1.3 TLS_AES_256_GCM_SHA384"
    auto sp = info.find(' ');
    out += fmt::format("\r\n\t(using {} with cipher {})", info.substr(0, sp),
                       sp == std::string::npos ? "" : info.substr(sp + 1));
  }
  out += fmt::format("\r\n\tby {} (Posthouse) with {} id {}", o_.hostname, with, conn_->id());
  if (rcpts_.size() == 1) out += fmt::format("\r\n\tfor <{}>", rcpts_[0].address);
  out += fmt::format(";\r\n\t{}\r\n", base::rfc5322_date(base::unix_now(), true));
  return out;
}

std::optional<codec::Reply> Session::start_message() {
  if (!msg_.admitted()) {
    spdlog::info("{} smtp in-flight budget exhausted: message refused for now", conn_->id());
    return codec::make_reply(452, "4.3.1", "Insufficient system storage");
  }
  msg_.start();
  spool_error_.reset();
  return std::nullopt;
}

asio::awaitable<void> Session::spill() {
  msg_.account();
  if (!msg_.window_full()) co_return;
  if (spool_error_) {
    msg_.window().clear();  // already failed: keep consuming, keep nothing
    co_return;
  }
  auto st = co_await pool_.run([this] { return msg_.flush(); });
  if (!st) {
    spdlog::warn("{} smtp cannot spool the message: {}", conn_->id(), st.error().message);
    spool_error_ = st.error();
    msg_.window().clear();
  }
}

asio::awaitable<bool> Session::deliver() {
  if (spool_error_) {
    reply(451, "4.3.0", "Local error in processing; message not accepted, try again later");
    reset_transaction();
    co_return true;
  }
  delivery::Envelope env;
  env.sender.address = from_.null_path ? "" : from_.mailbox.to_string();
  env.sender.auth = auth_;
  env.sender.client_ip = conn_->peer_ip();
  co_await learn_client_name();
  env.sender.client_name = client_name_;
  env.recipients = rcpts_;
  env.smtputf8 = mail_params_.smtputf8;
  env.eight_bit = mail_params_.body == codec::BodyType::k8BitMime ||
                  mail_params_.body == codec::BodyType::kBinaryMime;
  env.envid = mail_params_.envid;
  env.ret_full = mail_params_.ret == codec::DsnRet::kFull;
  env.ret_hdrs = mail_params_.ret == codec::DsnRet::kHdrs;
  auto checked = co_await check_message(env);
  if (!checked) {
    spdlog::warn("{} smtp cannot read the message back: {}", conn_->id(), checked.error().message);
    reply(451, "4.3.0", "Local error in processing; message not accepted, try again later");
    reset_transaction();
    co_return true;
  }
  msg_.set_header(received_header() + *checked);  // the receipt, then what was found
  std::size_t size = msg_.size();
  // The gateway reads the spool (window and file) itself: one copy at a time, on the pool.
  auto r = co_await pool_.run([&] { return gw_.accept(env, msg_); });
  if (!r) {
    spdlog::warn("{} smtp delivery failed: {}", conn_->id(), r.error().message);
    if (r.error().code == Errc::kLimit && r.error().field == "quota") {
      reply(452, "4.2.2", "Mailbox full, try again later");
    } else if (r.error().code == Errc::kForbidden && r.error().field == "policy") {
      reply(550, "5.7.1", r.error().message);  // the recipients' policy, in words
    } else if (r.error().code == Errc::kTemporary && r.error().field == "policy") {
      reply(451, "4.7.1", r.error().message);  // deferred by policy (greylist, scanner down)
    } else {
      reply(451, "4.3.0", "Local error in processing; message not accepted, try again later");
    }
  } else {
    spdlog::info("{} smtp accepted {} from <{}> for {} recipient(s), {} bytes", conn_->id(), *r,
                 env.sender.address, env.recipients.size(), size);
    reply(250, "2.0.0", fmt::format("OK queued as {}", *r));
    junk_ = 0;
  }
  reset_transaction();  // the spool file goes and the in-flight bytes are given back
  co_return true;
}

asio::awaitable<bool> Session::on_data() {
  if (!in_mail_) {
    reply(503, "5.5.1", "Need MAIL command");
    co_return count_error();
  }
  if (rcpts_.empty()) {
    reply(554, "5.5.1", "No valid recipients");
    co_return count_error();
  }
  if (bdat_active_) {
    reply(503, "5.5.1", "DATA not allowed after BDAT");
    co_return count_error();
  }
  if (mail_params_.body == codec::BodyType::kBinaryMime) {
    reply(503, "5.6.1", "BINARYMIME requires BDAT");
    co_return count_error();
  }
  // Refused before 354, so the client never sends the body; the transaction stays open.
  if (auto refusal = start_message()) {
    reply(*refusal);
    co_return true;
  }
  reply(354, "", "Start mail input; end with <CRLF>.<CRLF>");
  if (!co_await flush()) co_return false;
  codec::DataOptions dopts;
  dopts.max_bytes = o_.max_message_bytes;
  dopts.bare_lf = o_.bare_lf;
  codec::DataDecoder dec(dopts);
  while (!dec.done()) {
    auto v = co_await conn_->peek_some();
    if (!v) co_return false;  // connection lost mid-DATA: nothing is delivered, msg_ goes
    std::size_t used = dec.feed(*v, msg_.window());
    conn_->consume(used);
    co_await spill();
  }
  auto st = dec.result();
  if (!st) {
    reply(codec::error_reply(st.error()));
    reset_transaction();
    co_return true;
  }
  co_return co_await deliver();
}

asio::awaitable<bool> Session::on_bdat(const codec::Command& c) {
  // The chunk is always read, even when refused, so the session stays in sync.
  std::optional<Reply> refusal;
  bool counts_as_error = false;
  if (!in_mail_) {
    refusal = codec::make_reply(503, "5.5.1", "Need MAIL command");
    counts_as_error = true;
  } else if (rcpts_.empty()) {
    refusal = codec::make_reply(554, "5.5.1", "No valid recipients");
    counts_as_error = true;
  } else if (bdat_refusal_) {
    refusal = bdat_refusal_;
  } else if (!bdat_active_) {
    refusal = start_message();
  }
  bool too_big = !refusal && msg_.received() + c.bdat_size > o_.max_message_bytes;
  bool keep = !refusal && !too_big;
  uint64_t remaining = c.bdat_size;
  while (remaining > 0) {
    auto v = co_await conn_->peek_some();
    if (!v) co_return false;
    std::size_t take = static_cast<std::size_t>(std::min<uint64_t>(remaining, v->size()));
    if (keep) msg_.append(v->substr(0, take));
    conn_->consume(take);
    remaining -= take;
    if (keep) co_await spill();
  }
  if (counts_as_error) {
    reply(*refusal);
    co_return count_error();
  }
  bdat_active_ = true;
  if (too_big) {
    msg_.clear();
    refusal = codec::make_reply(552, "5.3.4", "Message size exceeds fixed maximum message size");
  }
  if (refusal) {
    // The rest of this message's chunks are read and get the same answer; LAST ends it.
    bdat_refusal_ = refusal;
    reply(*refusal);
    if (c.bdat_last) reset_transaction();
    co_return true;
  }
  if (!c.bdat_last) {
    reply(250, "2.0.0", fmt::format("{} octets received", c.bdat_size));
    co_return true;
  }
  co_return co_await deliver();
}

}  // namespace posthouse::server::smtp
