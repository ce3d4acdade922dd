#include "delivery/quarantine.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>

#include "base/date.h"
#include "base/hash.h"
#include "base/ids.h"
#include "delivery/autoreply.h"
#include "mime/header.h"

namespace posthouse::delivery {

using base::Errc;
using base::Error;
using store::HeldMessage;

namespace {

constexpr std::size_t kMaxShown = 200;  // characters of From and Subject kept for lists
constexpr int kMaxPerNotice = 100;
constexpr std::size_t kHeaderScan = 64 * 1024;

// At most `max` bytes without cutting a UTF-8 sequence, controls turned into spaces.
std::string shown(std::string_view s, std::size_t max = kMaxShown) {
  std::string out;
  for (char c : s) out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? ' ' : c;
  if (out.size() <= max) return out;
  std::size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
  out.resize(cut);
  return out + "…";
}

std::string field_of(std::string_view raw, std::string_view name) {
  auto head = raw.substr(0, std::min(raw.size(), kHeaderScan));
  auto fields = split_headers(head);
  auto v = mime::find_field(fields, name);
  return v ? shown(mime::decode_text(*v)) : std::string();
}

// The Actor a release link acts as, for the audit: the mailbox's user, from the link.
directory::Actor link_actor(const HeldMessage& m) {
  directory::Actor a;
  a.login = m.recipient;
  a.mailbox_id = m.mailbox_id;
  a.domain_id = m.domain_id;
  a.source = "release-link";
  return a;
}

std::string new_token() { return base::random_token(32); }

}  // namespace

base::Status Quarantine::hold(const HoldRequest& r, const std::string& raw, int64_t now) {
  std::string from = field_of(raw, "From");
  std::string subject = field_of(raw, "Subject");
  std::vector<HeldMessage> entries;
  PH_CHECK(pool_.with([&](Services& s) -> base::Status {
    for (const auto& [mb, reason] : r.mailboxes) {
      auto m = PH_TRY(s.dir_store->get_mailbox(mb));
      HeldMessage e;
      e.mailbox_id = mb;
      e.domain_id = m.domain_id;
      e.recipient = m.address;
      e.sender = shown(r.sender, 320);
      e.from = from;
      e.subject = subject;
      e.reason = reason;
      e.score = r.score;
      e.held_at = now;
      e.expires_at = now + s_.retention_seconds;
      // Unusable until a notice replaces it with the hash of a secret it sends.
      e.token_hash = "unsent-" + base::random_hex(16);
      entries.push_back(std::move(e));
    }
    auto ids = PH_TRY(s.stores->quarantine().hold(entries, raw));
    for (std::size_t i = 0; i < ids.size(); ++i) {
      spdlog::info("quarantine: held #{} for {} from <{}>: {}", ids[i], entries[i].recipient,
                   r.sender, entries[i].reason);
    }
    return {};
  }));
  for (const auto& [mb, reason] : r.mailboxes) {
    auto n = send_notices(now, mb);
    if (!n) spdlog::warn("quarantine: notice to mailbox {} not sent: {}", mb, n.error().message);
  }
  return {};
}

base::Result<std::vector<HeldMessage>> Quarantine::list(const directory::Actor& a,
                                                        std::string_view mailbox,
                                                        std::string_view domain,
                                                        int64_t before_id, int limit) {
  return pool_.with([&](Services& s) -> base::Result<std::vector<HeldMessage>> {
    store::QuarantineQuery q;
    q.before_id = before_id;
    q.limit = std::clamp(limit, 1, 1000);
    if (!mailbox.empty()) {
      q.mailbox_id = PH_TRY(s.directory->quarantine_mailbox(a, mailbox)).id;
    } else if (!domain.empty()) {
      q.domain_ids = {PH_TRY(s.directory->quarantine_domain(a, domain)).id};
    } else {
      return Error(Errc::kInvalid, "name a mailbox or a domain", "mailbox");
    }
    return s.stores->quarantine().list(q);
  });
}

base::Result<HeldMessage> Quarantine::authorized(const directory::Actor& a, int64_t id) {
  return pool_.with([&](Services& s) -> base::Result<HeldMessage> {
    auto m = PH_TRY(s.stores->quarantine().get(id));
    PH_CHECK(s.directory->check_held(a, m));
    return m;
  });
}

base::Result<HeldMessage> Quarantine::get(const directory::Actor& a, int64_t id) {
  return authorized(a, id);
}

base::Result<std::string> Quarantine::body(const directory::Actor& a, int64_t id) {
  auto held = PH_TRY(authorized(a, id));
  (void)held;
  return pool_.with([&](Services& s) { return s.stores->quarantine().body(id); });
}

base::Status Quarantine::release_entry(const directory::Actor& a, const HeldMessage& m) {
  auto raw = PH_TRY(pool_.with([&](Services& s) { return s.stores->quarantine().body(m.id); }));
  PH_CHECK(deliver_(m.mailbox_id, std::move(raw)));
  spdlog::info("quarantine: #{} released to {} by {}", m.id, m.recipient, a.login);
  return pool_.with([&](Services& s) -> base::Status {
    auto gone = s.stores->quarantine().remove(m.id);
    // Released twice at once: the other one removed it (the mailbox has two copies).
    if (!gone && gone.error().code != Errc::kNotFound) return gone;
    return s.directory->audit_held(a, "quarantine.release", m);
  });
}

base::Status Quarantine::release(const directory::Actor& a, int64_t id) {
  auto m = PH_TRY(authorized(a, id));
  return release_entry(a, m);
}

base::Status Quarantine::remove(const directory::Actor& a, int64_t id) {
  auto m = PH_TRY(authorized(a, id));
  return pool_.with([&](Services& s) -> base::Status {
    PH_CHECK(s.stores->quarantine().remove(id));
    return s.directory->audit_held(a, "quarantine.delete", m);
  });
}

base::Result<HeldMessage> Quarantine::by_token(std::string_view token) {
  if (token.empty() || token.size() > 100)
    return Error(Errc::kNotFound, "held message not found");
  std::string hash = base::sha256_hex(token);
  return pool_.with([&](Services& s) { return s.stores->quarantine().by_token(hash); });
}

base::Result<HeldMessage> Quarantine::release_by_token(std::string_view token) {
  auto m = PH_TRY(by_token(token));
  PH_CHECK(release_entry(link_actor(m), m));
  return m;
}

base::Result<int> Quarantine::send_notices(int64_t now, int64_t mailbox_id) {
  auto pending = PH_TRY(pool_.with([&](Services& s) {
    return s.stores->quarantine().pending_notices(mailbox_id, now - s_.notice_interval_seconds,
                                                  10 * kMaxPerNotice);
  }));
  std::map<int64_t, std::vector<NoticeEntry>> by_mailbox;
  for (auto& m : pending) {
    auto& list = by_mailbox[m.mailbox_id];
    if (static_cast<int>(list.size()) < kMaxPerNotice) list.push_back({std::move(m), new_token()});
  }
  int sent = 0;
  for (auto& [mb, entries] : by_mailbox) {
    const HeldMessage& first = entries.front().held;
    auto brand = pool_.with(
        [&](Services& s) { return s.directory->branding_for_domain(first.domain_id); });
    if (!brand) return std::move(brand).error();
    // The secrets are stored (hashed) before the notice that carries them leaves.
    std::vector<std::pair<int64_t, std::string>> tokens;
    for (const auto& e : entries) tokens.emplace_back(e.held.id, base::sha256_hex(e.token));
    PH_CHECK(pool_.with(
        [&](Services& s) { return s.stores->quarantine().noticed(mb, tokens, now); }));
    PH_CHECK(send_(first.recipient, notice_text(s_, first.recipient, *brand, entries, now),
                   first.domain_id));
    ++sent;
  }
  return sent;
}

base::Result<int64_t> Quarantine::purge(int64_t now) {
  return pool_.with([&](Services& s) { return s.stores->quarantine().purge_expired(now); });
}

std::string Quarantine::notice_text(const QuarantineSettings& s, const std::string& to,
                                    const directory::Branding& brand,
                                    const std::vector<NoticeEntry>& entries, int64_t now) {
  auto at = to.rfind('@');
  std::string domain = at == std::string::npos ? s.hostname : to.substr(at + 1);
  std::string product = brand.product_name.empty() ? "Mail" : shown(brand.product_name, 100);
  std::string from_addr =
      brand.sender_address.empty() ? "postmaster@" + domain : shown(brand.sender_address, 320);
  std::string from_name = brand.sender_name.empty() ? product : shown(brand.sender_name, 100);
  std::erase_if(from_name, [](char c) { return c == '"' || c == '\\'; });
  std::string out;
  out += fmt::format("From: \"{}\" <{}>\r\n", from_name, from_addr);
  out += fmt::format("To: <{}>\r\n", to);
  out += fmt::format("Subject: [{}] {} message{} held for you in quarantine\r\n", product,
                     entries.size(), entries.size() == 1 ? "" : "s");
  out += fmt::format("Date: {}\r\n", base::rfc5322_date(now));
  out += fmt::format("Message-ID: <{}@{}>\r\n", base::random_hex(12), s.hostname);
  out += "Auto-Submitted: auto-generated\r\n";
  out += "MIME-Version: 1.0\r\n";
  out += "Content-Type: text/plain; charset=utf-8\r\n";
  out += "Content-Transfer-Encoding: 8bit\r\n\r\n";
  out += fmt::format(
      "These messages to {} were held back as likely spam or malware.\r\n"
      "Each is kept for {} days after it arrived, then deleted. Release one into your\r\n"
      "inbox with its link; the others need nothing from you.\r\n",
      to, s.retention_seconds / 86400);
  int n = 0;
  for (const auto& e : entries) {
    const HeldMessage& m = e.held;
    out += fmt::format("\r\n{}. From: {}\r\n", ++n,
                       shown(m.from.empty() ? "<" + m.sender + ">" : m.from));
    out += fmt::format("   Subject: {}\r\n", m.subject.empty() ? "(none)" : shown(m.subject));
    out += fmt::format("   Held: {} ({})\r\n", base::rfc5322_date(m.held_at), shown(m.reason));
    out += fmt::format("   Release: {}/release?token={}\r\n", s.link_base, e.token);
  }
  out += fmt::format("\r\n-- \r\n{}\r\n", product);
  return out;
}

}  // namespace posthouse::delivery
