// libFuzzer target: ARC (antispam/arc_set.h, arc_verifier.h, arc_sealer.h) over arbitrary
// bytes. The first byte picks the part:
//   0: ARC-Authentication-Results value: on success the instance is 1..50 and the payload
//      starts with the authserv-id.
//   1: ARC-Message-Signature value: on success rsa-sha256, a 32-byte bh=, ARC-Seal not signed,
//      relaxed canonicalization unless c= says otherwise, the hashed form keeps every tag.
//   2: ARC-Seal value: on success cv= is none, pass or fail, no h=, relaxed.
//   else: a whole message, validated over MapTxtLookup (one key): none exactly when it has no
//      ARC field, a reason for every fail, oldest-pass within the chain, no more key lookups
//      than the limit; then sealed with that key whenever the validation allows it, and the
//      sealed message validates: pass over none or pass, fail over fail; a passing one sealed
//      again passes with one set more.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "antispam/arc_sealer.h"
#include "antispam/arc_verifier.h"
#include "antispam/txt_lookup.h"
#include "base/strings.h"
#include "mime/dkim_canonical.h"
#include "queue/dkim.h"

using namespace posthouse;
using antispam::ArcResult;

static void check_aar(std::string_view in) {
  auto r = antispam::parse_arc_auth_results(in);
  if (!r) return;
  if (r->instance < 1 || r->instance > antispam::kMaxArcInstances) std::abort();
  if (r->authserv_id.empty() || !r->payload.starts_with(r->authserv_id)) std::abort();
}

static void check_ams(std::string_view in) {
  auto s = antispam::parse_signature_field(antispam::SignatureField::kArcMessageSignature, in);
  if (!s) return;
  if (s->algorithm != antispam::DkimAlgorithm::kRsaSha256 || s->body_hash.size() != 32)
    std::abort();
  for (const auto& h : s->headers) {
    if (h == "arc-seal" || h.empty()) std::abort();
  }
  if (s->identity != "@" + s->domain) std::abort();
  auto again = antispam::parse_dkim_tag_list(s->unsigned_value, "fuzz");
  auto original = antispam::parse_dkim_tag_list(in, "fuzz");
  if (!again || again->size() != original->size()) std::abort();
}

static void check_seal(std::string_view in) {
  auto s = antispam::parse_signature_field(antispam::SignatureField::kArcSeal, in);
  if (!s) return;
  const auto& cv = s->chain_validation;
  if (cv != "none" && cv != "pass" && cv != "fail") std::abort();
  if (!s->headers.empty() || s->header_canon != mime::DkimCanon::kRelaxed) std::abort();
}

static void check_message(std::string_view m) {
  static const queue::DkimKey key =
      *queue::dkim_generate(queue::DkimAlgorithm::kRsaSha256, "fuzz.example", "f");
  antispam::MapTxtLookup dns;
  dns.add("f._domainkey.fuzz.example", key.dns_txt());
  antispam::ArcVerifyLimits limits;
  auto split = mime::dkim_split(m, limits.dkim.max_header_fields);
  std::size_t arc_fields = 0;
  for (const auto& f : split.fields) {
    auto n = base::to_lower(base::trim(f.name));
    arc_fields +=
        n == "arc-seal" || n == "arc-message-signature" || n == "arc-authentication-results";
  }
  auto v = antispam::arc_verify(m, dns, 1700000000, limits);
  if (!split.too_many_fields && (v.result == ArcResult::kNone) != (arc_fields == 0)) std::abort();
  if ((v.result == ArcResult::kFail) == v.reason.empty()) std::abort();
  if (v.result == ArcResult::kPass && (v.sets == 0 || v.oldest_pass > v.sets)) std::abort();
  if (v.sets > antispam::kMaxArcInstances) std::abort();
  if (dns.queries() > static_cast<int>(limits.max_key_lookups)) std::abort();
  if (antispam::arc_result_text(v).find_first_of("\r\n") != std::string::npos) std::abort();

  // Sealed: the next set on top must hold. A first line that is a continuation or no field
  // would run on into the prepended fields: not a message.
  if (m.empty() || m.front() == ' ' || m.front() == '\t') return;
  if (m.substr(0, m.find('\n')).find(':') == std::string_view::npos) return;
  if (split.too_many_fields || split.fields.size() + 3 > limits.dkim.max_header_fields) return;
  antispam::ArcSealRequest req{"mx.fuzz.example", "spf=pass", {}, 1700000000};
  auto s = antispam::arc_seal(m, v, req, {key.domain, key.selector, key.private_pem});
  if (!s) return;
  if (s->instance != v.sets + 1 || s->cv != v.result) std::abort();
  auto after = antispam::arc_verify(s->fields() + std::string(m), dns, 1700000000, limits);
  ArcResult want = v.result == ArcResult::kFail ? ArcResult::kFail : ArcResult::kPass;
  if (after.result != want) std::abort();
  if (after.result != ArcResult::kPass || after.sets >= antispam::kMaxArcInstances) return;
  // A second hop seals over the passing chain: still a pass, one set more.
  std::string once = s->fields() + std::string(m);
  auto twice = antispam::arc_seal(once, after, req, {key.domain, key.selector, key.private_pem});
  if (!twice || twice->cv != ArcResult::kPass) std::abort();
  auto last = antispam::arc_verify(twice->fields() + once, dns, 1700000000, limits);
  if (last.result != ArcResult::kPass || last.sets != after.sets + 1) std::abort();
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 6) {
    case 0:
      check_aar(in);
      break;
    case 1:
      check_ams(in);
      break;
    case 2:
      check_seal(in);
      break;
    default:
      check_message(in);
      break;
  }
  return 0;
}
