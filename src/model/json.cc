#include "model/json.h"

namespace posthouse::model {

using nlohmann::json;

namespace {
json opt(const std::optional<int64_t>& v) { return v ? json(*v) : json(nullptr); }
std::optional<int64_t> opt_int(const json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_number_integer()) return std::nullopt;
  return j[key].get<int64_t>();
}
template <class T>
T get_or(const json& j, const char* key, T def) {
  if (!j.is_object() || !j.contains(key)) return def;
  try {
    return j[key].get<T>();
  } catch (const json::exception&) {
    return def;
  }
}
}  // namespace

json parse_or_empty(const std::string& text) {
  auto j = json::parse(text, nullptr, false);
  return j.is_discarded() ? json::object() : j;
}

json to_json(const Limits& l) {
  return {{"max_domains", opt(l.max_domains)},
          {"max_mailboxes", opt(l.max_mailboxes)},
          {"max_mailbox_bytes", opt(l.max_mailbox_bytes)},
          {"max_total_bytes", opt(l.max_total_bytes)}};
}
Limits limits_from_json(const json& j) {
  return {opt_int(j, "max_domains"), opt_int(j, "max_mailboxes"), opt_int(j, "max_mailbox_bytes"),
          opt_int(j, "max_total_bytes")};
}

json to_json(const Branding& b) {
  return {{"sender_name", b.sender_name},   {"sender_address", b.sender_address},
          {"product_name", b.product_name}, {"logo_url", b.logo_url},
          {"welcome_text", b.welcome_text}, {"reset_text", b.reset_text}};
}
Branding branding_from_json(const json& j) {
  Branding b;
  b.sender_name = get_or<std::string>(j, "sender_name", "");
  b.sender_address = get_or<std::string>(j, "sender_address", "");
  b.product_name = get_or<std::string>(j, "product_name", "");
  b.logo_url = get_or<std::string>(j, "logo_url", "");
  b.welcome_text = get_or<std::string>(j, "welcome_text", "");
  b.reset_text = get_or<std::string>(j, "reset_text", "");
  return b;
}

json to_json(const Services& s) {
  return {{"imap", s.imap},
          {"pop3", s.pop3},
          {"smtp", s.smtp},
          {"webmail", s.webmail},
          {"forwarding", s.forwarding},
          {"autoresponder", s.autoresponder},
          {"tokens", s.tokens}};
}
Services services_from_json(const json& j) {
  Services d, s;
  s.imap = get_or(j, "imap", d.imap);
  s.pop3 = get_or(j, "pop3", d.pop3);
  s.smtp = get_or(j, "smtp", d.smtp);
  s.webmail = get_or(j, "webmail", d.webmail);
  s.forwarding = get_or(j, "forwarding", d.forwarding);
  s.autoresponder = get_or(j, "autoresponder", d.autoresponder);
  s.tokens = get_or(j, "tokens", d.tokens);
  return s;
}

json to_json(const TemplateSettings& s) {
  return {{"services", to_json(s.services)},
          {"quota_bytes", s.quota_bytes},
          {"folders", s.folders},
          {"language", s.language},
          {"autoresponder_text", s.autoresponder_text}};
}
TemplateSettings template_settings_from_json(const json& j) {
  TemplateSettings d, s;
  s.services =
      services_from_json(j.is_object() && j.contains("services") ? j["services"] : json::object());
  s.quota_bytes = get_or(j, "quota_bytes", d.quota_bytes);
  s.folders = get_or(j, "folders", d.folders);
  s.language = get_or(j, "language", d.language);
  s.autoresponder_text = get_or(j, "autoresponder_text", d.autoresponder_text);
  return s;
}

json to_json(const Customer& c) {
  return {{"id", c.id},
          {"name", c.name},
          {"status", c.status},
          {"limits", to_json(c.limits)},
          {"branding", to_json(c.branding)},
          {"created_at", c.created_at},
          {"updated_at", c.updated_at}};
}

json to_json(const Principal& p) {
  json j = {{"id", p.id},
            {"kind", principal_kind_name(p.kind)},
            {"login", p.login},
            {"display_name", p.display_name},
            {"status", p.status},
            {"has_password", p.password_hash != "!" && !p.password_hash.empty()},
            {"customer_id", p.customer_id}};
  if (p.kind == PrincipalKind::kManager) {
    j["manager_kind"] = p.manager_kind == ManagerKind::kFull ? "full" : "scoped";
    j["domain_ids"] = p.domain_ids;
    j["limits"] = to_json(p.limits);
    j["branding"] = to_json(p.branding);
  }
  if (p.kind == PrincipalKind::kPostmaster) j["domain_id"] = p.domain_id;
  return j;
}

namespace {
json score_json(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }
std::optional<double> score_from(const json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_number()) return std::nullopt;
  return j[key].get<double>();
}
}  // namespace

json to_json(const SpamPolicy& p) {
  return {{"dmarc_enforce", p.dmarc_enforce},
          {"greylist", p.greylist},
          {"block", p.block},
          {"allow", p.allow},
          {"reject_score", score_json(p.reject_score)},
          {"quarantine_score", score_json(p.quarantine_score)},
          {"junk_score", score_json(p.junk_score)},
          {"virus_action", p.virus_action}};
}
SpamPolicy spam_policy_from_json(const json& j) {
  SpamPolicy d, p;
  p.dmarc_enforce = get_or(j, "dmarc_enforce", d.dmarc_enforce);
  p.greylist = get_or(j, "greylist", d.greylist);
  p.block = get_or(j, "block", d.block);
  p.allow = get_or(j, "allow", d.allow);
  p.reject_score = score_from(j, "reject_score");
  p.quarantine_score = score_from(j, "quarantine_score");
  p.junk_score = score_from(j, "junk_score");
  p.virus_action = get_or(j, "virus_action", d.virus_action);
  return p;
}

json to_json(const UserSpamSettings& u) {
  return {{"reject_score", score_json(u.reject_score)},
          {"quarantine_score", score_json(u.quarantine_score)},
          {"junk_score", score_json(u.junk_score)},
          {"allow", u.allow},
          {"block", u.block}};
}
UserSpamSettings user_spam_of_settings(const std::string& settings_json) {
  json j = parse_or_empty(settings_json);
  if (!j.is_object() || !j.contains("spam")) return {};
  return user_spam_from_json(j["spam"]);
}

UserSpamSettings user_spam_from_json(const json& j) {
  UserSpamSettings u;
  u.reject_score = score_from(j, "reject_score");
  u.quarantine_score = score_from(j, "quarantine_score");
  u.junk_score = score_from(j, "junk_score");
  u.allow = get_or(j, "allow", u.allow);
  u.block = get_or(j, "block", u.block);
  return u;
}

json to_json(const Domain& d) {
  json l = to_json(d.limits);
  l.erase("max_domains");
  return {{"id", d.id},
          {"name", d.name},
          {"customer_id", d.customer_id},
          {"status", d.status},
          {"deleted_at", opt(d.deleted_at)},
          {"limits", l},
          {"catchall", d.catchall ? json(*d.catchall) : json(nullptr)},
          {"spam_policy", to_json(d.spam)},
          {"created_at", d.created_at},
          {"updated_at", d.updated_at}};
}

json to_json(const Mailbox& m) {
  return {{"id", m.id},
          {"address", m.address},
          {"domain_id", m.domain_id},
          {"display_name", m.display_name},
          {"has_password", m.password_hash != "!" && !m.password_hash.empty()},
          {"quota_bytes", m.quota_bytes},
          {"services", to_json(m.services)},
          {"settings", parse_or_empty(m.settings_json)},
          {"status", m.status},
          {"deleted_at", opt(m.deleted_at)},
          {"template", {{"id", m.template_id}, {"version", m.template_version}}},
          {"forward", {{"to", m.forward_to}, {"keep_copy", m.forward_keep_copy}}},
          {"last_login",
           {{"at", opt(m.last_login_at)},
            {"protocol", m.last_login_protocol ? json(*m.last_login_protocol) : json(nullptr)}}},
          {"created_at", m.created_at},
          {"updated_at", m.updated_at}};
}

json to_json(const Alias& a) {
  return {{"id", a.id}, {"address", a.address}, {"domain_id", a.domain_id}, {"targets", a.targets}};
}

json to_json(const Template& t) {
  return {{"id", t.id},
          {"customer_id", t.customer_id == 0 ? json(nullptr) : json(t.customer_id)},
          {"name", t.name},
          {"version", t.version},
          {"settings", to_json(t.settings)}};
}

json to_json(const Delegation& d) {
  json verbs = json::array();
  for (Verb v : d.verbs) verbs.push_back(verb_name(v));
  json j = {{"id", d.id},
            {"customer_id", d.customer_id},
            {"verbs", verbs},
            {"domain_ids", d.domain_ids},
            {"template_ids", d.template_ids},
            {"expires_at", opt(d.expires_at)},
            {"created_at", d.created_at}};
  if (d.grantee_principal_id) j["grantee_principal_id"] = d.grantee_principal_id;
  if (d.grantee_mailbox_id) j["grantee_mailbox_id"] = d.grantee_mailbox_id;
  return j;
}

json to_json(const AuditRecord& r) {
  auto js = [](const std::optional<std::string>& s) {
    return s ? parse_or_empty(*s) : json(nullptr);
  };
  return {{"id", r.id},
          {"at", r.at},
          {"actor", r.actor},
          {"actor_kind", r.actor_kind},
          {"token_id", opt(r.token_id)},
          {"source", r.source},
          {"ip", r.ip ? json(*r.ip) : json(nullptr)},
          {"verb", r.verb},
          {"target", r.target},
          {"before", js(r.before)},
          {"after", js(r.after)}};
}

json to_json(const Usage& u) {
  return {{"domains", u.domains}, {"mailboxes", u.mailboxes}, {"bytes", u.bytes}};
}

}  // namespace posthouse::model
