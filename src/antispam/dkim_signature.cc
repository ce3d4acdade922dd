#include "antispam/dkim_signature.h"

#include <fmt/format.h>

#include <limits>
#include <span>

#include "base/strings.h"
#include "protocol/text.h"

namespace posthouse::antispam {

using base::Errc;
using base::Error;

namespace {

bool fws(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
bool alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool digit(char c) { return c >= '0' && c <= '9'; }

std::string_view trim_fws(std::string_view s) {
  while (!s.empty() && fws(s.front())) s.remove_prefix(1);
  while (!s.empty() && fws(s.back())) s.remove_suffix(1);
  return s;
}

// Sender text quoted in an error: printable ASCII only, at most `max` characters.
std::string shown(std::string_view v, std::size_t max = 40) {
  std::string out;
  for (char c : v.substr(0, max)) out += (c > 0x20 && c < 0x7f) ? c : '?';
  return out;
}

const DkimTag* find(const std::vector<DkimTag>& tags, std::string_view name) {
  for (const auto& t : tags) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

// 1*`max_digits` DIGIT; more digits than that is an error when `saturate` is false and
// UINT64_MAX otherwise (l= may have 76 digits: it is larger than any body then).
std::optional<uint64_t> number(std::string_view v, std::size_t max_digits, bool saturate) {
  if (v.empty()) return std::nullopt;
  uint64_t n = 0;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (!digit(v[i])) return std::nullopt;
    if (i >= max_digits) {
      if (!saturate) return std::nullopt;
      n = std::numeric_limits<uint64_t>::max();
      continue;
    }
    if (n > (std::numeric_limits<uint64_t>::max() - 9) / 10) {
      n = std::numeric_limits<uint64_t>::max();
    } else if (n != std::numeric_limits<uint64_t>::max()) {
      n = n * 10 + static_cast<uint64_t>(v[i] - '0');
    }
  }
  return n;
}

base::Result<mime::DkimCanon> canon(std::string_view v) {
  if (v == "simple") return mime::DkimCanon::kSimple;
  if (v == "relaxed") return mime::DkimCanon::kRelaxed;
  return Error(Errc::kInvalid, fmt::format("unknown canonicalization \"{}\" in c=", shown(v, 40)),
               "dkim");
}

bool field_name_ok(std::string_view n) {
  if (n.empty() || n.size() > 100) return false;
  for (char c : n) {
    if (c <= 0x20 || c >= 0x7f || c == ':') return false;
  }
  return true;
}

}  // namespace

base::Result<std::vector<DkimTag>> parse_dkim_tag_list(std::string_view text,
                                                       std::string_view what) {
  std::vector<DkimTag> tags;
  std::size_t pos = 0;
  while (true) {
    std::size_t semi = text.find(';', pos);
    std::size_t end = semi == std::string_view::npos ? text.size() : semi;
    std::string_view spec = text.substr(pos, end - pos);
    if (trim_fws(spec).empty()) {
      if (semi == std::string_view::npos) break;  // after the last ';', or no tag at all
      return Error(Errc::kInvalid, fmt::format("{}: empty tag-spec", what), "dkim");
    }
    auto eq = spec.find('=');
    if (eq == std::string_view::npos) {
      return Error(Errc::kInvalid,
                   fmt::format("{}: tag-spec without '=': \"{}\"", what, shown(trim_fws(spec), 40)),
                   "dkim");
    }
    std::string_view name = trim_fws(spec.substr(0, eq));
    bool name_ok = !name.empty() && alpha(name[0]);
    for (char c : name) name_ok = name_ok && (alpha(c) || digit(c) || c == '_');
    if (!name_ok) {
      return Error(Errc::kInvalid, fmt::format("{}: bad tag name \"{}\"", what, shown(name, 40)),
                   "dkim");
    }
    std::string_view value = trim_fws(spec.substr(eq + 1));
    for (char c : value) {
      auto u = static_cast<unsigned char>(c);
      if ((u < 0x20 && !fws(c)) || u == 0x7f) {
        return Error(Errc::kInvalid, fmt::format("{}: control character in tag {}=", what, name),
                     "dkim");
      }
    }
    for (const auto& t : tags) {
      if (t.name == name) {
        return Error(Errc::kInvalid, fmt::format("{}: duplicate tag {}=", what, name), "dkim");
      }
    }
    if (tags.size() >= kMaxDkimTags) {
      return Error(Errc::kTooLarge, fmt::format("{}: more than {} tags", what, kMaxDkimTags),
                   "dkim");
    }
    tags.push_back(DkimTag{name, value, pos + eq + 1, end});
    if (semi == std::string_view::npos) break;
    pos = semi + 1;
  }
  return tags;
}

std::string dkim_strip_fws(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (!fws(c)) out += c;
  }
  return out;
}

std::string_view dkim_algorithm_text(DkimAlgorithm a) {
  return a == DkimAlgorithm::kRsaSha256 ? "rsa-sha256" : "ed25519-sha256";
}

bool dkim_valid_dns_name(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  for (auto label : base::split(name, '.')) {
    if (label.empty() || label.size() > 63) return false;
    for (char c : label) {
      if (!alpha(c) && !digit(c) && c != '-' && c != '_') return false;
    }
  }
  return true;
}

std::string_view signature_field_name(SignatureField f) {
  switch (f) {
    case SignatureField::kDkimSignature:
      return "DKIM-Signature";
    case SignatureField::kArcMessageSignature:
      return "ARC-Message-Signature";
    case SignatureField::kArcSeal:
      return "ARC-Seal";
  }
  return "DKIM-Signature";
}

base::Result<DkimSignature> parse_dkim_signature(std::string_view value,
                                                 const DkimSignatureLimits& limits) {
  return parse_signature_field(SignatureField::kDkimSignature, value, limits);
}

base::Result<DkimSignature> parse_signature_field(SignatureField kind, std::string_view value,
                                                  const DkimSignatureLimits& limits) {
  const std::string_view field = signature_field_name(kind);
  const bool dkim = kind == SignatureField::kDkimSignature;
  const bool seal = kind == SignatureField::kArcSeal;
  auto sig_error = [field](std::string message, Errc code = Errc::kInvalid) {
    return Error(code, fmt::format("{}: {}", field, message), "dkim");
  };
  if (value.size() > limits.max_value_bytes) {
    return sig_error(fmt::format("field longer than {} bytes", limits.max_value_bytes),
                     Errc::kTooLarge);
  }
  auto tags = PH_TRY(parse_dkim_tag_list(value, field));
  static constexpr std::string_view kDkimTags[] = {"v", "a", "b", "bh", "d", "h", "s"};
  static constexpr std::string_view kAmsTags[] = {"i", "a", "b", "bh", "d", "h", "s"};
  static constexpr std::string_view kSealTags[] = {"i", "a", "b", "cv", "d", "s"};
  std::span<const std::string_view> required = dkim   ? kDkimTags
                                               : seal ? std::span<const std::string_view>(kSealTags)
                                                      : kAmsTags;
  for (std::string_view r : required) {
    if (!find(tags, r)) return sig_error(fmt::format("missing tag {}=", r));
  }
  DkimSignature sig;
  if (dkim && find(tags, "v")->value != "1") {
    return sig_error(fmt::format("unknown version v={}", shown(find(tags, "v")->value, 20)));
  }
  std::string a = base::to_lower(find(tags, "a")->value);
  if (a == "rsa-sha256") {
    sig.algorithm = DkimAlgorithm::kRsaSha256;
  } else if (a == "ed25519-sha256" && dkim) {
    sig.algorithm = DkimAlgorithm::kEd25519Sha256;
  } else if (a == "rsa-sha1") {
    return sig_error("a=rsa-sha1 is not accepted (RFC 8301)");
  } else {
    return sig_error(fmt::format("unknown algorithm a={}", shown(a, 40)));
  }

  const DkimTag* b = find(tags, "b");
  std::string b64 = dkim_strip_fws(b->value);
  if (b64.empty()) return sig_error("empty signature b=");
  auto raw = protocol::base64_decode(b64, limits.max_signature_bytes);
  if (!raw) {
    return sig_error(
        raw.error().code == Errc::kTooLarge
            ? fmt::format("signature b= longer than {} bytes", limits.max_signature_bytes)
            : "signature b= is not base64",
        raw.error().code == Errc::kTooLarge ? Errc::kTooLarge : Errc::kInvalid);
  }
  sig.signature = std::move(*raw);
  sig.b_prefix = b64.substr(0, 8);
  sig.unsigned_value = std::string(value.substr(0, b->after_equals));
  sig.unsigned_value += value.substr(b->end);

  if (!seal) {
    auto bh = protocol::base64_decode(dkim_strip_fws(find(tags, "bh")->value), 64);
    if (!bh || bh->size() != 32) return sig_error("body hash bh= is not a base64 SHA-256 hash");
    sig.body_hash = std::move(*bh);
  }

  // ARC uses relaxed canonicalization; an AMS without c= is read so (dkimpy, the ARC suite's
  // ams_fields_c_na), where DKIM's default is simple/simple.
  if (!dkim) sig.header_canon = sig.body_canon = mime::DkimCanon::kRelaxed;
  if (const DkimTag* c = find(tags, "c"); c && !seal) {
    auto slash = c->value.find('/');
    auto header_canon = canon(c->value.substr(0, slash));
    if (!header_canon) return sig_error(header_canon.error().message);
    sig.header_canon = *header_canon;
    if (slash != std::string_view::npos) {
      auto body_canon = canon(c->value.substr(slash + 1));
      if (!body_canon) return sig_error(body_canon.error().message);
      sig.body_canon = *body_canon;
    }
  }
  if (const DkimTag* q = find(tags, "q"); q && !seal) {
    bool dns = false;
    for (auto m : base::split(q->value, ':')) dns |= base::iequals(trim_fws(m), "dns/txt");
    if (!dns) return sig_error(fmt::format("no known query method in q={}", shown(q->value, 40)));
  }

  sig.domain = base::to_lower(find(tags, "d")->value);
  if (!dkim_valid_dns_name(sig.domain)) {
    return sig_error(fmt::format("d={} is not a domain name", shown(sig.domain, 80)));
  }
  sig.selector = base::to_lower(find(tags, "s")->value);
  if (!dkim_valid_dns_name(sig.selector) || sig.selector.size() + sig.domain.size() + 12 > 253) {
    return sig_error(fmt::format("s={} is not a selector", shown(sig.selector, 80)));
  }

  if (seal && find(tags, "h")) return sig_error("tag h= is not allowed (RFC 8617 4.1.3)");
  bool from = false;
  if (const DkimTag* h = find(tags, "h"); h && !seal && (dkim || !trim_fws(h->value).empty())) {
    for (auto part : base::split(h->value, ':')) {
      std::string name = base::to_lower(trim_fws(part));
      if (name.empty() && !dkim) continue;  // "h=from::to" (the suite's ams_fields_h_mis_hdr)
      if (!field_name_ok(name)) {
        return sig_error(fmt::format("bad field name \"{}\" in h=", shown(name, 40)));
      }
      if (sig.headers.size() >= limits.max_signed_fields) {
        return sig_error(fmt::format("h= names more than {} fields", limits.max_signed_fields),
                         Errc::kTooLarge);
      }
      if (name == "arc-seal" && !dkim) return sig_error("tag h= names ARC-Seal (RFC 8617 4.1.2)");
      from |= name == "from";
      sig.headers.push_back(std::move(name));
    }
  }
  if (dkim && !from) return sig_error("tag h= does not include From");

  sig.identity = "@" + sig.domain;
  sig.identity_domain = sig.domain;
  if (const DkimTag* i = find(tags, "i"); i && dkim) {
    auto at = i->value.rfind('@');
    if (at == std::string_view::npos) return sig_error("identity i= has no '@'");
    sig.identity = std::string(i->value);
    sig.identity_domain = base::to_lower(i->value.substr(at + 1));
    bool inside =
        sig.identity_domain == sig.domain || (sig.identity_domain.size() > sig.domain.size() &&
                                              sig.identity_domain.ends_with("." + sig.domain));
    if (!inside) {
      return sig_error(fmt::format("identity domain {} is not d={} or below it",
                                   shown(sig.identity_domain, 80), sig.domain));
    }
  } else if (i) {
    auto n = number(i->value, 10, false);
    if (!n || *n > std::numeric_limits<uint32_t>::max()) {
      return sig_error(fmt::format("instance i={} is not a number", shown(i->value, 20)));
    }
    sig.instance = static_cast<uint32_t>(*n);
  }
  if (seal) {
    sig.chain_validation = std::string(find(tags, "cv")->value);
    if (sig.chain_validation != "none" && sig.chain_validation != "pass" &&
        sig.chain_validation != "fail") {
      return sig_error(fmt::format("unknown chain validation cv={}", shown(sig.chain_validation)));
    }
  }

  if (const DkimTag* l = find(tags, "l"); l && !seal) {
    sig.body_length = number(l->value, 19, true);
    if (!sig.body_length) return sig_error("body length l= is not a number");
  }
  if (const DkimTag* t = find(tags, "t")) {
    auto n = number(t->value, 12, false);
    if (!n) return sig_error("timestamp t= is not a number of at most 12 digits");
    sig.timestamp = static_cast<int64_t>(*n);
  }
  if (const DkimTag* x = find(tags, "x"); x && !seal) {
    auto n = number(x->value, 12, false);
    if (!n) return sig_error("expiration x= is not a number of at most 12 digits");
    sig.expiration = static_cast<int64_t>(*n);
    if (sig.timestamp && *sig.expiration < *sig.timestamp) {
      return sig_error("expiration x= is before timestamp t=");
    }
  }
  return sig;
}

}  // namespace posthouse::antispam
