#include "delivery/local_gateway.h"
#include "delivery/sender_policy.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <ctime>
#include <nlohmann/json.hpp>
#include <set>

#include "antispam/arc_sealer.h"
#include "base/clock.h"
#include "base/ids.h"
#include "base/strings.h"
#include "protocol/smtp/command.h"
#include "queue/dkim.h"
#include "queue/dsn.h"

namespace posthouse::delivery {

using base::Errc;
using base::Error;

namespace {

int64_t now_seconds() { return base::unix_now(); }

// Reads the autoresponder from the mailbox's settings JSON ({"autoresponder": {...}}).
AutoreplySettings autoreply_settings(const directory::Mailbox& m) {
  AutoreplySettings s;
  auto j = nlohmann::json::parse(m.settings_json, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return s;
  auto it = j.find("autoresponder");
  if (it == j.end() || !it->is_object()) return s;
  const auto& a = *it;
  s.enabled = a.value("enabled", false);
  s.subject = a.value("subject", std::string());
  s.body = a.value("body", std::string());
  if (a.contains("start") && a["start"].is_number_integer()) s.start = a["start"].get<int64_t>();
  if (a.contains("end") && a["end"].is_number_integer()) s.end = a["end"].get<int64_t>();
  if (a.contains("period_seconds") && a["period_seconds"].is_number_integer())
    s.period_seconds = a["period_seconds"].get<int64_t>();
  return s;
}

// The autoresponder looks at the header only; one longer than this is cut (and its rules,
// which need a few fields, still apply to what was read).
constexpr std::size_t kMaxHeaderBlock = 64 * 1024;

std::string header_block(std::string_view raw) {
  auto end = raw.find("\r\n\r\n");
  if (end == std::string_view::npos) end = raw.find("\n\n");
  return std::string(raw.substr(0, end == std::string_view::npos ? raw.size() : end + 2));
}

}  // namespace

base::Result<AuthUser> LocalGateway::authenticate(const std::string& login,
                                                  const std::string& password,
                                                  const std::string& client_ip) {
  auto p = pool_.with([&](Services& s) { return s.directory->authenticate(login, password, "smtp"); });
  if (!p) {
    if (p.error().code == Errc::kForbidden) {
      // Right password, SMTP switched off for this mailbox.
      AuthUser u;
      u.smtp_allowed = false;
      u.address = login;
      return u;
    }
    return std::move(p).error();
  }
  AuthUser u;
  u.mailbox_id = p->mailbox_id;
  u.address = p->address;
  u.smtp_allowed = p->services.smtp;
  return u;
}

base::Result<directory::MailPrincipal> LocalGateway::login(const std::string& address,
                                                           const std::string& password,
                                                           const std::string& protocol) {
  auto p = pool_.with(
      [&](Services& s) { return s.directory->authenticate(address, password, protocol); });
  if (!p) return p;
  PH_CHECK(provision(p->mailbox_id));
  return p;
}

base::Status LocalGateway::provision(int64_t mailbox_id) {
  auto mb = pool_.with([&](Services& s) { return s.dir_store->get_mailbox(mailbox_id); });
  if (!mb) return std::move(mb).error();
  auto settings = pool_.with([&](Services& s) -> base::Result<directory::TemplateSettings> {
    if (mb->template_id == 0) return directory::TemplateSettings{};
    return s.dir_store->get_template_version(mb->template_id, mb->template_version);
  });
  std::vector<store::FolderSpec> folders = store::default_folders();
  if (settings) {
    for (const auto& name : settings->folders) {
      bool known = std::any_of(folders.begin(), folders.end(),
                               [&](const store::FolderSpec& f) { return f.name == name; });
      if (!known) folders.push_back(store::FolderSpec{name, "", true});
    }
  }
  PH_CHECK(mail_.ensure_mailbox(mailbox_id, folders));
  std::optional<uint64_t> quota;
  if (mb->quota_bytes > 0) quota = static_cast<uint64_t>(mb->quota_bytes);
  auto current = mail_.quota(mailbox_id);
  if (!current || current->limit_bytes != quota) {
    PH_CHECK(mail_.set_quota(mailbox_id, quota, std::nullopt));
  }
  return {};
}

base::Status LocalGateway::deliver_to_folder(int64_t mailbox_id, std::string raw,
                                             const char* folder) {
  for (int attempt = 0;; ++attempt) {
    store::Delivery d;
    d.recipients = {mailbox_id};
    d.folder = folder;
    d.raw = attempt == 0 ? raw : std::move(raw);
    d.internaldate = now_seconds();
    auto r = mail_.deliver(std::move(d));
    if (r.size() != 1) return Error(Errc::kInternal, "the store gave no result");
    if (r[0]) return {};
    if (r[0].error().code != Errc::kNotFound || attempt > 0) return r[0].error();
    PH_CHECK(provision(mailbox_id));
  }
}

base::Status LocalGateway::check_sender(const AuthUser& user, const std::string& from) {
  if (base::iequals(from, user.address)) return {};
  auto ok = pool_.with(
      [&](Services& s) { return s.directory->may_send_as(user.mailbox_id, from); });
  if (!ok) return std::move(ok).error();
  if (!*ok) return Error(Errc::kForbidden, "sender address not owned");
  return {};
}

base::Status LocalGateway::check_recipient(const Sender& sender, const std::string& rcpt,
                                           uint64_t size_hint) {
  std::string domain = domain_of(rcpt);
  auto local = pool_.with([&](Services& s) { return s.directory->is_local_domain(domain); });
  if (!local) return std::move(local).error();
  if (!*local) {
    if (sender.auth) return {};
    return Error(Errc::kForbidden, "relaying denied");
  }
  auto res = pool_.with([&](Services& s) { return s.directory->resolve_recipient(rcpt); });
  if (!res) return std::move(res).error();
  if (!sender.auth) PH_CHECK(check_blocked(sender.address, domain, *res));
  for (int64_t mb : res->mailboxes) {
    auto q = mail_.quota(mb);
    if (!q) continue;  // not provisioned yet: empty
    if (q->limit_bytes && q->used_bytes + size_hint > *q->limit_bytes) {
      return Error(Errc::kLimit, "mailbox full", "quota");
    }
  }
  return {};
}

base::Result<std::string> LocalGateway::accept(const Envelope& env, const MessageSource& message) {
  return accept_from(env, message, env.sender.auth.has_value(), false);
}

std::string LocalGateway::arc_seal(const Envelope& env, const std::string& forwarder,
                                  const std::string& body, int64_t now) {
  const SenderVerdict& v = *env.verdict;
  if (opts_.arc_selector.empty() || v.auth_results.empty()) return {};
  auto keys = pool_.with([&](Services& s) {
    return queue::DkimKeys(*s.dkim_keys).ensure(forwarder, opts_.arc_selector, now);
  });
  if (!keys) {
    spdlog::warn("arc: no key to seal mail forwarded for {}: {}", forwarder,
                 keys.error().message);
    return {};
  }
  auto rsa = std::find_if(keys->begin(), keys->end(), [](const queue::DkimKey& k) {
    return k.algorithm == queue::DkimAlgorithm::kRsaSha256;
  });
  if (rsa == keys->end()) {
    spdlog::warn("arc: {} has no RSA key to seal forwarded mail", forwarder);
    return {};
  }
  antispam::ArcSealRequest req;
  req.authserv_id = opts_.authserv_id;
  req.results = v.auth_results;
  req.now = now;
  auto seal = antispam::arc_seal(body, v.arc, req, {rsa->domain, rsa->selector, rsa->private_pem});
  if (!seal) {
    spdlog::warn("arc: mail from <{}> forwarded for {} goes unsealed: {}", env.sender.address,
                 forwarder, seal.error().message);
    return {};
  }
  return seal->fields();
}

void LocalGateway::autoreply(const std::string& sender, const MessageSource& message,
                             int64_t mailbox_id, int64_t now) {
  if (sender.empty()) return;
  auto mb = pool_.with([&](Services& s) { return s.dir_store->get_mailbox(mailbox_id); });
  if (!mb || !mb->services.autoresponder) return;
  AutoreplySettings settings = autoreply_settings(*mb);
  auto head = message.head(kMaxHeaderBlock);
  if (!head) return;
  IncomingMail in{sender, header_block(*head)};
  if (!should_reply(settings, in, {mb->address}, now)) return;
  auto due = pool_.with([&](Services& s) {
    return s.autoreply->claim(mailbox_id, sender, settings.period_seconds, now);
  });
  if (!due || !*due) return;
  Envelope e;
  e.recipients = {Recipient{sender, 0, ""}};
  std::string reply = build_reply(settings, mb->address, mb->display_name, in, opts_.hostname, now);
  auto r = accept_from(e, StringSource(reply), /*trusted=*/true, /*system=*/true, mb->domain_id);
  if (!r) spdlog::warn("autoreply for mailbox {} failed: {}", mailbox_id, r.error().message);
}

base::Status LocalGateway::deliver_system(const std::string& to, std::string message,
                                          int64_t origin_domain_id) {
  Envelope e;
  e.recipients = {Recipient{to, 0, ""}};
  auto r =
      accept_from(e, StringSource(message), /*trusted=*/true, /*system=*/true, origin_domain_id);
  if (!r) return std::move(r).error();
  return {};
}

void LocalGateway::report(const Envelope& env, const MessageSource& message, queue::BounceInput b,
                          int64_t origin_domain_id, int64_t now) {
  b.reporting_mta = opts_.hostname;
  b.original_sender = env.sender.address;
  b.envid = env.envid;
  b.arrival_date = now;
  // RET=HDRS (and every success report) needs only the header; the copy read here is dropped
  // once the report is built.
  bool headers = b.headers_only || b.success;
  auto original = headers ? message.head(kMaxHeaderBlock) : message.read();
  if (!original) {
    spdlog::error("delivery: cannot read the message for a report: {}", original.error().message);
    return;
  }
  b.original_message = std::move(*original);
  std::string text = queue::build_bounce(b, now);
  b = {};
  Envelope report_env;
  report_env.recipients = {Recipient{env.sender.address, 0, ""}};
  auto r = accept_from(report_env, StringSource(text), /*trusted=*/true, /*system=*/true,
                       origin_domain_id);
  if (!r) spdlog::error("delivery: cannot send a delivery report: {}", r.error().message);
}

base::Result<std::string> LocalGateway::accept_from(const Envelope& env,
                                                    const MessageSource& message, bool trusted,
                                                    bool system, int64_t origin_domain_id) {
  int64_t now = now_seconds();
  // The local domain a queue entry is sent for. An unauthenticated sender's domain proves
  // nothing (anyone can claim a local domain in MAIL FROM), so it never counts.
  int64_t origin = origin_domain_id;
  std::string forwarder;  // the local domain whose recipient forwards out, if any
  if (!origin && trusted && !system && !env.sender.address.empty()) {
    auto id = pool_.with(
        [&](Services& s) { return s.directory->local_domain_id(domain_of(env.sender.address)); });
    if (!id) return std::move(id).error();
    origin = *id;
  }
  std::vector<int64_t> local;
  std::vector<queue::NewRecipient> external;
  std::set<std::string> external_seen;
  // Per envelope recipient: the mailboxes it reached and its number of destinations (DSN).
  struct Expansion {
    std::vector<int64_t> mailboxes;
    std::size_t destinations = 0;
  };
  std::vector<Expansion> expanded(env.recipients.size());
  for (std::size_t ri = 0; ri < env.recipients.size(); ++ri) {
    const Recipient& r = env.recipients[ri];
    std::string domain = domain_of(r.address);
    auto is_local = pool_.with([&](Services& s) { return s.directory->is_local_domain(domain); });
    if (!is_local) return std::move(is_local).error();
    if (!*is_local) {
      if (!trusted) return Error(Errc::kForbidden, "relaying denied");
      if (external_seen.insert(base::to_lower(r.address)).second)
        external.push_back({r.address, r.notify, r.orcpt});
      continue;
    }
    auto res = pool_.with([&](Services& s) { return s.directory->resolve_recipient(r.address); });
    if (!res) return std::move(res).error();
    for (int64_t mb : res->mailboxes) {
      if (std::find(local.begin(), local.end(), mb) == local.end()) local.push_back(mb);
    }
    expanded[ri].mailboxes = res->mailboxes;
    expanded[ri].destinations = res->mailboxes.size() + res->external.size();
    if (!res->external.empty()) {
      if (forwarder.empty()) forwarder = domain;
      if (!origin) {
        auto id = pool_.with([&](Services& s) { return s.directory->local_domain_id(domain); });
        if (!id) return std::move(id).error();
        origin = *id;
      }
    }
    // RFC 3461 6.2.7: one destination carries the DSN request on (with the address it was
    // sent to as ORCPT); several were reported "expanded", so they drop SUCCESS.
    uint8_t notify = r.notify;
    std::string orcpt = r.orcpt.empty() ? "rfc822;" + r.address : r.orcpt;
    if (expanded[ri].destinations > 1) {
      notify = notify & ~smtp::kNotifySuccess;
      if (r.notify && !notify) notify = smtp::kNotifyNever;
      orcpt.clear();
    }
    for (const auto& ext : res->external) {
      if (external_seen.insert(base::to_lower(ext)).second)
        external.push_back({ext, notify, r.notify ? orcpt : ""});
    }
  }

  // The recipients' spam policies: where each mailbox gets the message (INBOX, Junk or the
  // quarantine), or the whole message refused or deferred.
  Routing routing;
  if (env.verdict) {
    std::vector<std::vector<int64_t>> reached;
    for (const auto& x : expanded) reached.push_back(x.mailboxes);
    routing = PH_TRY(route(env, reached));
  }
  std::set<int64_t>& junk = routing.junk;

  std::string id;
  if (!external.empty()) {
    queue::NewMessage qm;
    qm.sender = env.sender.address;
    qm.envid = env.envid;
    qm.ret_full = env.ret_full;
    qm.ret_hdrs = env.ret_hdrs;
    qm.smtputf8 = env.smtputf8;
    qm.eight_bit = env.eight_bit;
    qm.body = PH_TRY(message.read());  // freed with qm, before the local copy is read
    if (env.verdict && !trusted && !forwarder.empty()) {
      qm.body.insert(0, arc_seal(env, forwarder, qm.body, now));
    }
    qm.recipients = external;
    qm.origin_domain_id = origin;
    auto qid = pool_.with([&](Services& s) { return s.queue->enqueue(qm, now); });
    if (!qid) return std::move(qid).error();
    id = *qid;
  }

  std::vector<bool> delivered(local.size(), false);
  std::vector<queue::ReportRecipient> failed;
  int64_t failed_domain = 0;  // the local domain of the first mailbox that refused it
  std::set<int64_t> held;  // mailboxes whose copy went to the quarantine
  if (!local.empty()) {
    // Each attempt reads its own copy and hands it to the store (moved, never copied).
    std::string return_path = fmt::format("Return-Path: <{}>\r\n", env.sender.address);
    if (!routing.quarantine.empty()) held = hold(env, message, return_path, routing, now);
    auto deliver_in = [&](std::vector<int64_t> recipients,
                          const char* folder) -> base::Result<store::DeliveryResult> {
      store::Delivery d;
      d.recipients = std::move(recipients);
      d.folder = folder;
      d.raw = PH_TRY(message.read(return_path));
      d.internaldate = now;
      return mail_.deliver(std::move(d));
    };
    // One result per mailbox, in order: INBOX and Junk are two deliveries.
    // A held mailbox's copy is in the quarantine already: it counts as delivered.
    auto deliver_to = [&](const std::vector<int64_t>& mbs) -> base::Result<store::DeliveryResult> {
      std::vector<int64_t> inbox, in_junk;
      for (int64_t mb : mbs) {
        if (!held.count(mb)) (junk.count(mb) ? in_junk : inbox).push_back(mb);
      }
      if (in_junk.empty() && held.empty()) return deliver_in(inbox, "INBOX");
      store::DeliveryResult a, b, out;
      if (!inbox.empty()) a = PH_TRY(deliver_in(inbox, "INBOX"));
      if (!in_junk.empty()) b = PH_TRY(deliver_in(in_junk, "Junk"));
      std::size_t i = 0, j = 0;
      for (int64_t mb : mbs) {
        if (held.count(mb)) {
          out.push_back(store::Appended{});
        } else {
          out.push_back(junk.count(mb) ? std::move(b[j++]) : std::move(a[i++]));
        }
      }
      return out;
    };
    auto results = PH_TRY(deliver_to(local));
    // Mailboxes not provisioned yet: provision and deliver to those once more.
    std::vector<int64_t> retry;
    for (std::size_t i = 0; i < results.size(); ++i) {
      if (!results[i] && results[i].error().code == Errc::kNotFound) retry.push_back(local[i]);
    }
    if (!retry.empty()) {
      for (int64_t mb : retry) {
        if (auto st = provision(mb); !st) return st.error();
      }
      auto again = PH_TRY(deliver_to(retry));
      for (std::size_t i = 0, j = 0; i < results.size(); ++i) {
        if (!results[i] && results[i].error().code == Errc::kNotFound) results[i] = again[j++];
      }
    }
    // Does any envelope recipient that reached this mailbox want a failure report?
    auto failure_wanted = [&](int64_t mb) {
      for (std::size_t ri = 0; ri < env.recipients.size(); ++ri) {
        const auto& m = expanded[ri].mailboxes;
        uint8_t n = env.recipients[ri].notify;
        if (std::find(m.begin(), m.end(), mb) != m.end() &&
            (n == smtp::kNotifyNone || (n & smtp::kNotifyFailure))) {
          return true;
        }
      }
      return false;
    };
    int ok = 0, temporary = 0;
    for (std::size_t i = 0; i < results.size(); ++i) {
      if (results[i]) {
        ++ok;
        delivered[i] = true;
        continue;
      }
      const Error& e = results[i].error();
      if (e.code == Errc::kLimit || e.code == Errc::kTooLarge) {
        if (!failure_wanted(local[i])) continue;
        auto mb = pool_.with([&](Services& s) { return s.dir_store->get_mailbox(local[i]); });
        failed.push_back({mb ? mb->address : fmt::format("mailbox #{}", local[i]), "5.2.2",
                          "smtp; 552 5.2.2 Mailbox full", "", ""});
        if (mb && !failed_domain) failed_domain = mb->domain_id;
      } else {
        ++temporary;
      }
    }
    if (ok == 0 && external.empty()) {
      // Nothing was accepted: refuse the whole message in the SMTP reply rather than accept
      // it and bounce (no backscatter). Temporary failures win, so the client retries.
      if (temporary > 0) return Error(Errc::kTemporary, "local delivery failed");
      return Error(Errc::kLimit, "mailbox full", "quota");
    }
    if (temporary > 0) {
      spdlog::error("delivery: {} local copies failed temporarily after others succeeded",
                    temporary);
    }
    if (!system) {
      for (std::size_t i = 0; i < results.size(); ++i) {
        if (results[i] && !held.count(local[i]))
          autoreply(env.sender.address, message, local[i], now);
      }
    }
  }

  if (env.sender.address.empty() || system) {
    if (id.empty()) id = "L" + base::random_hex(8);
    return id;
  }
  if (!failed.empty()) {
    queue::BounceInput b;
    b.headers_only = !env.ret_full;
    b.failed = std::move(failed);
    report(env, message, std::move(b), failed_domain, now);
  }
  // Success reports (NOTIFY=SUCCESS): every local copy of the recipient is committed.
  queue::BounceInput b;
  b.success = true;
  int64_t success_domain = 0;
  for (std::size_t ri = 0; ri < env.recipients.size(); ++ri) {
    const Recipient& r = env.recipients[ri];
    const Expansion& x = expanded[ri];
    // One external destination carried the request on (the queue reports "relayed" or the
    // next hop reports); an alias to several is "expanded" here, whatever its destinations.
    if (!(r.notify & smtp::kNotifySuccess) || (x.mailboxes.empty() && x.destinations < 2)) continue;
    bool all = std::all_of(x.mailboxes.begin(), x.mailboxes.end(), [&](int64_t mb) {
      auto at = std::find(local.begin(), local.end(), mb) - local.begin();
      return delivered[static_cast<std::size_t>(at)];
    });
    if (!all) continue;
    b.failed.push_back(
        {r.address, "2.0.0", "", r.orcpt, x.destinations == 1 ? "delivered" : "expanded"});
    if (!success_domain) {
      auto d = pool_.with(
          [&](Services& s) { return s.directory->local_domain_id(domain_of(r.address)); });
      if (d) success_domain = *d;
    }
  }
  if (!b.failed.empty()) report(env, message, std::move(b), success_domain, now);
  if (id.empty()) id = "L" + base::random_hex(8);
  return id;
}

}  // namespace posthouse::delivery
