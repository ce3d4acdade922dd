// libFuzzer target: DMARC records (antispam/dmarc.h parse_dmarc_record) and the
// organizational domain (antispam/public_suffix.h) of names a sender controls. Oracles: an
// accepted record has pct 0-100 and started with v=DMARC1; the organizational domain is a
// label-boundary suffix of the name and ends with its public suffix, and is its own
// organizational domain; a DMARC check over a record given as data answers one of the five
// results, with a disposition only on fail.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "antispam/dmarc.h"
#include "antispam/public_suffix.h"
#include "antispam/txt_lookup.h"
#include "base/strings.h"

using namespace posthouse;

static const antispam::PublicSuffixList& psl() {
  static const antispam::PublicSuffixList l =
      antispam::PublicSuffixList::parse("com\nuk\nco.uk\n*.ck\n!www.ck\nblogspot.com\n");
  return l;
}

static void check_domain(std::string_view in) {
  // Names come from parsed addresses: no white space or control bytes in them.
  for (char c : in) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return;
  }
  std::string d = base::to_lower(base::trim(in));
  while (!d.empty() && d.back() == '.') d.pop_back();
  std::string org = psl().organizational_domain(in);
  std::string suffix = psl().public_suffix(in);
  if (!d.ends_with(org) || !org.ends_with(suffix)) std::abort();
  if (org.size() < d.size() && d[d.size() - org.size() - 1] != '.') std::abort();
  if (psl().organizational_domain(org) != org) std::abort();
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] % 2 == 0) {
    check_domain(in);
    return 0;
  }
  auto r = antispam::parse_dmarc_record(in);
  if (r) {
    if (r->pct < 0 || r->pct > 100) std::abort();
    if (!in.starts_with("v=DMARC1") && !base::trim(in).starts_with("v")) std::abort();
  }
  antispam::MapTxtLookup dns;
  dns.add("_dmarc.example.com", std::string(in));
  antispam::DmarcInput req{"mail.example.com", true, "other.org", {"example.com"}, 50};
  auto v = antispam::dmarc_check(dns, psl(), req);
  if (v.result != antispam::DmarcResult::kFail && v.disposition != antispam::DmarcPolicy::kNone)
    std::abort();
  // d=example.com aligns relaxed with mail.example.com (strict wants the same name).
  if (r && !r->strict_dkim && v.result != antispam::DmarcResult::kPass) std::abort();
  return 0;
}
