#include "antispam/arc_sealer.h"

#include <fmt/format.h>

#include "base/strings.h"
#include "mime/dkim_canonical.h"
#include "mime/dkim_crypto.h"
#include "protocol/text.h"

namespace posthouse::antispam {

using base::Errc;
using base::Error;

namespace {

constexpr std::size_t kFoldAt = 78;
constexpr std::size_t kMaxLine = 990;
constexpr std::size_t kMaxFields = 1000;

Error seal_error(std::string message, Errc code = Errc::kInvalid) {
  return Error(code, "ARC seal: " + std::move(message), "arc");
}

// A header field being written, folded before a piece that would pass kFoldAt columns.
class Folded {
 public:
  explicit Folded(std::string_view name) : text_(std::string(name) + ":"), col_(text_.size()) {}
  // `piece` after `sep` (on the same line when it fits, else on a continuation line).
  void put(std::string_view sep, std::string_view piece) {
    if (col_ + sep.size() + piece.size() > kFoldAt && col_ > 1) {
      while (!sep.empty() && sep.back() == ' ') sep.remove_suffix(1);
      text_ += sep;
      text_ += "\r\n\t";
      col_ = 1;
    } else {
      text_ += sep;
      col_ += sep.size();
    }
    text_ += piece;
    col_ += piece.size();
  }
  // A base64 value too long for one line (an 8192-bit signature), split over lines: folds in
  // b= are ignored when it is read (but another field's seal hashes them as spaces).
  void put_base64(std::string_view b64) {
    while (!b64.empty()) {
      std::size_t room = col_ < kMaxLine ? kMaxLine - col_ : 0;
      if (room < 8) {
        text_ += "\r\n\t";
        col_ = 1;
        room = kMaxLine - 1;
      }
      auto chunk = b64.substr(0, room);
      text_ += chunk;
      col_ += chunk.size();
      b64.remove_prefix(chunk.size());
    }
  }
  const std::string& text() const { return text_; }

 private:
  std::string text_;
  std::size_t col_;
};

// Writes "Name: a=...; b=<b64>; rest..." and returns {the field, its value with b= empty}.
// `before` are the tags before b= ("a=rsa-sha256"), `after` the tags after it.
struct SignedField {
  std::string field;
  std::string unsigned_value;
};
SignedField write_field(std::string_view name, const std::vector<std::string>& before,
                        const std::vector<std::string>& after, std::string_view b64) {
  auto build = [&](std::string_view sig) {
    Folded f(name);
    std::string_view sep = " ";
    for (const auto& t : before) {
      f.put(sep, t);
      sep = "; ";
    }
    if (sig.size() + 2 < kMaxLine) {
      f.put(sep, "b=" + std::string(sig));
    } else {
      f.put(sep, "b=");
      f.put_base64(sig);
    }
    sep = "; ";
    for (const auto& t : after) {
      // h= may be long: its field names fold after a colon.
      if (t.size() > kFoldAt - 2 && t.starts_with("h=")) {
        auto names = base::split(std::string_view(t).substr(2), ':');
        f.put(sep, "h=" + std::string(names[0]));
        for (std::size_t i = 1; i < names.size(); ++i) f.put(":", names[i]);
      } else {
        f.put(sep, t);
      }
    }
    return f.text();
  };
  std::string field = build(b64);
  std::string empty = build("");
  return {field + "\r\n", empty.substr(name.size() + 1)};
}

// The value of a "Name: value\r\n" field we wrote.
std::string_view field_value(std::string_view field) {
  auto colon = field.find(':');
  return field.substr(colon + 1, field.size() - colon - 3);
}

bool token_ok(std::string_view s) {
  if (s.empty() || s.size() > 255) return false;
  for (char c : s) {
    if (c <= 0x20 || c >= 0x7f || c == ';' || c == '(' || c == ')' || c == '"') return false;
  }
  return true;
}

// Splits resinfo text at ';' into trimmed single-line results (folds undone, WSP runs as one).
base::Result<std::vector<std::string>> split_results(std::string_view text) {
  std::vector<std::string> out;
  for (auto part : base::split(text, ';')) {
    std::string one;
    bool space = false;
    for (char c : part) {
      auto u = static_cast<unsigned char>(c);
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
        space = !one.empty();
        continue;
      }
      if (u < 0x20 || u == 0x7f) return seal_error("control character in the results");
      if (space) one += ' ';
      space = false;
      one += c;
    }
    if (!one.empty()) out.push_back(std::move(one));
  }
  return out;
}

}  // namespace

base::Result<ArcSeal> arc_seal(std::string_view message, const ArcVerification& validation,
                               const ArcSealRequest& request, const ArcSealKey& key) {
  if (validation.terminated) {
    return seal_error("the chain already ends in cv=fail (RFC 8617 5.1): not sealed");
  }
  if (validation.temporary) {
    return seal_error("chain validation failed for a temporary reason: not sealed",
                      Errc::kTemporary);
  }
  if (validation.sets >= kMaxArcInstances) {
    return seal_error(fmt::format("the message has {} ARC sets already", kMaxArcInstances),
                      Errc::kLimit);
  }
  if (!token_ok(request.authserv_id)) return seal_error("the authserv-id is not a token");
  if (!dkim_valid_dns_name(key.domain) || !dkim_valid_dns_name(key.selector)) {
    return seal_error("the key's domain or selector is not a DNS name");
  }
  auto results = PH_TRY(split_results(request.results));
  if (results.empty()) return seal_error("no authentication results to carry");

  ArcSeal out;
  out.instance = validation.sets + 1;
  out.cv = validation.result;
  SignedMessage m(message, kMaxFields);
  if (m.split().too_many_fields) {
    return seal_error(fmt::format("message header has more than {} fields", kMaxFields));
  }
  ArcChain chain;
  if (out.cv == ArcResult::kPass) {
    chain = collect_arc_sets(m);
    if (!chain.error.empty() || chain.highest != validation.sets) {
      return seal_error("the message's ARC sets are not those its validation passed");
    }
  } else if (out.cv == ArcResult::kNone && validation.sets != 0) {
    return seal_error("a validation of none with ARC sets");
  }

  // ARC-Authentication-Results: i=N; authserv-id; result; result ...
  Folded aar("ARC-Authentication-Results");
  aar.put(" ", fmt::format("i={};", out.instance));
  aar.put(" ", request.authserv_id + ";");
  for (std::size_t i = 0; i < results.size(); ++i) {
    aar.put(i == 0 ? " " : "; ", results[i]);
  }
  out.aar = aar.text() + "\r\n";
  std::string_view aar_value = field_value(out.aar);

  // ARC-Message-Signature over the body and the chosen fields (RFC 8617 4.1.2).
  DkimSignature ams;
  ams.header_canon = mime::DkimCanon::kRelaxed;
  if (!request.signed_fields.empty()) {
    for (const auto& f : request.signed_fields) ams.headers.push_back(base::to_lower(f));
  } else {
    // Every instance, up to what a verifier reads of h= (ours: DkimSignatureLimits).
    const std::size_t max = DkimSignatureLimits{}.max_signed_fields;
    auto sign_present = [&](std::string_view name) {
      for (const auto& have : m.names()) {
        if (have == name && ams.headers.size() < max) ams.headers.emplace_back(name);
      }
    };
    for (std::string_view name : mime::kDkimSignedFields) sign_present(name);
    sign_present("dkim-signature");  // RFC 8617 4.1.2: the AMS SHOULD cover them
  }
  std::string h;
  for (const auto& f : ams.headers) {
    if (f == "arc-seal") return seal_error("the ARC-Message-Signature must not sign ARC-Seal");
    if (!token_ok(f) || f.find(':') != std::string::npos) {
      return seal_error("a signed field name is not a field name");
    }
    h += (h.empty() ? "" : ":") + f;
  }
  std::string bh = protocol::base64_encode(mime::dkim_sha256(m.body(mime::DkimCanon::kRelaxed)));
  const std::string domain = base::to_lower(key.domain);
  const std::string selector = base::to_lower(key.selector);
  std::vector<std::string> ams_after = {"bh=" + bh,
                                        "c=relaxed/relaxed",
                                        "d=" + domain,
                                        "h=" + h,
                                        fmt::format("i={}", out.instance),
                                        "s=" + selector,
                                        fmt::format("t={}", request.now)};
  ams.unsigned_value =
      write_field("ARC-Message-Signature", {"a=rsa-sha256"}, ams_after, "").unsigned_value;
  auto ams_sig = mime::dkim_sign_data(false, key.private_pem,
                                      header_hash_input(m, ams, kNoField, "ARC-Message-Signature"));
  if (!ams_sig) return seal_error(ams_sig.error().message, Errc::kInternal);
  auto ams_field = write_field("ARC-Message-Signature", {"a=rsa-sha256"}, ams_after,
                               protocol::base64_encode(*ams_sig));
  out.ams = ams_field.field;
  std::string_view ams_value = field_value(out.ams);

  // ARC-Seal over the sets (all of them; only the new one for a failed chain, 5.1.2).
  std::vector<std::string> seal_after = {fmt::format("cv={}", arc_result_name(out.cv)),
                                         "d=" + domain, fmt::format("i={}", out.instance),
                                         "s=" + selector, fmt::format("t={}", request.now)};
  std::string seal_unsigned =
      write_field("ARC-Seal", {"a=rsa-sha256"}, seal_after, "").unsigned_value;
  std::string input =
      arc_seal_hash_input(m, chain, out.instance,
                          {"ARC-Authentication-Results", aar_value, "ARC-Message-Signature",
                           ams_value, "ARC-Seal", seal_unsigned});
  auto seal_sig = mime::dkim_sign_data(false, key.private_pem, input);
  if (!seal_sig) return seal_error(seal_sig.error().message, Errc::kInternal);
  out.seal =
      write_field("ARC-Seal", {"a=rsa-sha256"}, seal_after, protocol::base64_encode(*seal_sig))
          .field;
  return out;
}

std::string arc_collect_results(std::string_view message, std::string_view authserv_id) {
  SignedMessage m(message, kMaxFields);
  std::string out;
  for (std::size_t i = 0; i < m.names().size(); ++i) {
    if (m.names()[i] != "authentication-results") continue;
    std::string_view v = m.split().fields[i].value;
    auto semi = v.find(';');
    std::string id(base::trim(v.substr(0, semi)));
    if (semi == std::string_view::npos || !base::iequals(id, authserv_id)) continue;
    auto parts = split_results(v.substr(semi + 1));
    if (!parts) continue;
    for (const auto& p : *parts) {
      if (p == "none") continue;
      out += (out.empty() ? "" : "; ") + p;
    }
  }
  return out;
}

}  // namespace posthouse::antispam
