// libFuzzer target: DKIM verification (antispam/dkim_verifier.h) and its parsers over
// arbitrary bytes. The first byte picks the part:
//   0: tag-list (RFC 6376 3.2): on success, names are unique and well-formed, values hold no
//      ';' and lie where the offsets say.
//   1: DKIM-Signature value: on success, the required tags are there and consistent (From
//      signed, i= in d=, x= not before t=, a 32-byte bh=), and the hashed form keeps every tag
//      with b= emptied.
//   2: key record: on success, revoked exactly when p= is empty.
//   3: canonicalization: simple and relaxed bodies end in CRLF (or are empty) and are fixed
//      points; relaxed header fields are one CRLF-terminated line.
//   else: a whole message: one result per DKIM-Signature field (at most the limits), a reason
//      for every non-pass; and the message signed by the outbound signer (queue/dkim.h) then
//      verifies (pass) whenever it has a From and a bounded header.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "antispam/dkim_verifier.h"
#include "antispam/txt_lookup.h"
#include "base/strings.h"
#include "mime/dkim_canonical.h"
#include "queue/dkim.h"

using namespace posthouse;

static void check_tags(std::string_view in) {
  auto tags = antispam::parse_dkim_tag_list(in, "fuzz");
  if (!tags) return;
  for (std::size_t i = 0; i < tags->size(); ++i) {
    const auto& t = (*tags)[i];
    if (t.name.empty() || t.value.find(';') != std::string_view::npos) std::abort();
    if (t.after_equals > t.end || t.end > in.size()) std::abort();
    if (in.substr(t.after_equals, t.end - t.after_equals).find(t.value) == std::string_view::npos)
      std::abort();
    for (std::size_t j = 0; j < i; ++j) {
      if ((*tags)[j].name == t.name) std::abort();
    }
  }
}

static void check_signature(std::string_view in) {
  auto s = antispam::parse_dkim_signature(in);
  if (!s) return;
  bool from = false;
  for (const auto& h : s->headers) from |= h == "from";
  if (!from || s->body_hash.size() != 32 || s->signature.empty()) std::abort();
  if (!antispam::dkim_valid_dns_name(s->domain) || base::to_lower(s->domain) != s->domain)
    std::abort();
  if (s->identity_domain != s->domain && !s->identity_domain.ends_with("." + s->domain))
    std::abort();
  if (s->timestamp && s->expiration && *s->expiration < *s->timestamp) std::abort();
  auto again = antispam::parse_dkim_tag_list(s->unsigned_value, "fuzz");
  if (!again) std::abort();
  auto original = antispam::parse_dkim_tag_list(in, "fuzz");
  if (again->size() != original->size()) std::abort();
  for (const auto& t : *again) {
    if (t.name == "b" && !t.value.empty()) std::abort();
  }
}

static void check_key(std::string_view in) {
  auto k = antispam::parse_dkim_key_record(in);
  if (!k) return;
  if (k->revoked != k->public_key.empty()) std::abort();
}

static void check_canonical(std::string_view in) {
  for (auto c : {mime::DkimCanon::kSimple, mime::DkimCanon::kRelaxed}) {
    std::string b = mime::dkim_canonical_body(c, in);
    if (!b.empty() && !b.ends_with("\r\n")) std::abort();
    if (c == mime::DkimCanon::kSimple && b.empty()) std::abort();
    if (mime::dkim_canonical_body(c, b) != b) std::abort();
  }
  std::string name(in.substr(0, in.find(':') == std::string_view::npos ? 0 : in.find(':')));
  if (name.find_first_of("\r\n") != std::string::npos) return;
  std::string h = mime::dkim_relaxed_header(name, in);
  std::string_view body(h);
  body.remove_suffix(2);
  if (!h.ends_with("\r\n") || body.find_first_of("\r\n") != std::string_view::npos) std::abort();
}

static void check_message(std::string_view m) {
  static const queue::DkimKey key =
      *queue::dkim_generate(queue::DkimAlgorithm::kEd25519Sha256, "fuzz.example", "f");
  antispam::MapTxtLookup dns;
  dns.add("f._domainkey.fuzz.example", key.dns_txt());
  antispam::DkimVerifyLimits limits;
  auto split = mime::dkim_split(m, limits.max_header_fields);
  std::size_t sigs = 0;
  for (const auto& f : split.fields) sigs += base::iequals(base::trim(f.name), "dkim-signature");
  auto results = antispam::dkim_verify(m, dns, 1700000000, limits);
  if (results.size() != (sigs == 0 && split.too_many_fields ? 1 : sigs)) std::abort();
  if (dns.queries() > static_cast<int>(limits.max_signatures)) std::abort();
  for (const auto& r : results) {
    if ((r.result == antispam::DkimResult::kPass) != r.reason.empty()) std::abort();
    if (r.signed_body_bytes > r.body_bytes) std::abort();
  }
  auto signed_message = queue::dkim_sign_all({key}, std::string(m), 1700000000);
  if (signed_message.size() == m.size()) return;  // no From: not signed
  // A first line that is a continuation, or no field at all (no colon), would run on into the
  // prepended field: not a message.
  if (m.front() == ' ' || m.front() == '\t') return;
  auto first_line = m.substr(0, m.find('\n'));
  if (first_line.find(':') == std::string_view::npos) return;
  // Several From fields fail whatever the signature says (dkim_verifier.h).
  std::size_t froms = 0;
  for (const auto& f : split.fields) froms += base::iequals(base::trim(f.name), "from");
  if (froms > 1) return;
  // One more field on top: the header must stay within the limit for a verdict.
  if (split.too_many_fields || split.fields.size() + 1 > limits.max_header_fields) return;
  auto after = antispam::dkim_verify(signed_message, dns, 1700000000, limits);
  if (after.empty() || after[0].result != antispam::DkimResult::kPass) std::abort();
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 8) {
    case 0:
      check_tags(in);
      break;
    case 1:
      check_signature(in);
      break;
    case 2:
      check_key(in);
      break;
    case 3:
      check_canonical(in);
      break;
    default:
      check_message(in);
      break;
  }
  return 0;
}
