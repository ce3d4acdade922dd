// libFuzzer target: DKIM signing (queue/dkim.h) over arbitrary messages, with header and body
// canonicalisation (relaxed/relaxed, RFC 6376 3.4.2/3.4.4). Oracles: canonical body and header
// forms have the RFC's shape and are idempotent; dkim_sign either refuses a message without
// From or returns one CRLF-terminated header whose bh= is the hash of the canonical body and
// whose b= verifies with the public key over the fields h= names, selected bottom-up by an
// independent header reader here; dkim_sign_all never loses the message.
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/strings.h"
#include "mime/dkim_canonical.h"
#include "protocol/text.h"
#include "queue/dkim.h"

using namespace posthouse;

static bool wsp(char c) { return c == ' ' || c == '\t'; }

static void check_body_form(std::string_view c) {
  // Lines end in CRLF; no WSP run longer than one SP, none at line end; no trailing blank
  // lines; no tab or LF inside a line (a lone CR is data, not WSP: it stays).
  size_t i = 0;
  while (i < c.size()) {
    size_t e = c.find("\r\n", i);
    if (e == std::string_view::npos) std::abort();
    std::string_view line = c.substr(i, e - i);
    if (line.empty()) {
      // Only empty lines after it would be trailing blank lines. A line holding a lone CR is
      // data ("\r\r\n"), not an empty line: look at whole CRLF pairs only (fuzz regression).
      std::string_view rest = c.substr(e);
      bool only_empty = rest.size() % 2 == 0;
      for (size_t k = 0; only_empty && k < rest.size(); k += 2) {
        only_empty = rest.substr(k, 2) == "\r\n";
      }
      if (only_empty) std::abort();
    }
    for (size_t k = 0; k < line.size(); ++k) {
      if (line[k] == '\t' || line[k] == '\n') std::abort();
      if (line[k] == ' ' && (k + 1 == line.size() || line[k + 1] == ' ')) std::abort();
    }
    i = e + 2;
  }
}

static std::string sha256(std::string_view d) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(d.data()), d.size(), md);
  return std::string(reinterpret_cast<char*>(md), sizeof md);
}

// The message's header fields as (name, raw value), independent of the signer's reader
// (mime/dkim_canonical.h); like it, the first 1000 fields only.
static std::vector<std::pair<std::string, std::string>> fields_of(std::string_view m) {
  std::vector<std::pair<std::string, std::string>> out;
  bool full = false;
  for (size_t pos = 0; pos < m.size();) {
    size_t lf = m.find('\n', pos);
    size_t end = lf == std::string_view::npos ? m.size() : lf;
    std::string_view line = m.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) break;
    if (wsp(line[0])) {
      if (!out.empty() && !full) {
        out.back().second += "\r\n";
        out.back().second += line;
      }
    } else if (auto c = line.find(':'); c != std::string_view::npos) {
      full = full || out.size() >= 1000;
      if (!full) out.emplace_back(std::string(line.substr(0, c)), std::string(line.substr(c + 1)));
    }
    if (lf == std::string_view::npos) break;
    pos = lf + 1;
  }
  return out;
}

static std::string tag(std::string_view v, std::string_view name) {
  std::string key = std::string(name) + "=";
  for (size_t p = 0; (p = v.find(key, p)) != std::string_view::npos; ++p) {
    if (p > 0 && v[p - 1] != ' ' && v[p - 1] != '\t' && v[p - 1] != ';') continue;
    size_t e = v.find(';', p);
    std::string out;
    for (char c : v.substr(p + key.size(), e == std::string_view::npos ? v.npos : e - p - key.size()))
      if (!wsp(c) && c != '\r' && c != '\n') out += c;
    return out;
  }
  std::abort();
}

static bool verify(const queue::DkimKey& k, const std::string& data, const std::string& sig) {
  EVP_PKEY* pkey = nullptr;
  auto pub = protocol::base64_decode(k.public_b64, 4096);
  if (!pub) std::abort();
  auto* p = reinterpret_cast<const unsigned char*>(pub->data());
  if (k.algorithm == queue::DkimAlgorithm::kRsaSha256) {
    pkey = d2i_PUBKEY(nullptr, &p, static_cast<long>(pub->size()));
  } else {
    pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, p, pub->size());
  }
  if (!pkey) std::abort();
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool rsa = k.algorithm == queue::DkimAlgorithm::kRsaSha256;
  std::string in = rsa ? data : sha256(data);
  bool ok = EVP_DigestVerifyInit(ctx, nullptr, rsa ? EVP_sha256() : nullptr, nullptr, pkey) == 1 &&
            EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                             reinterpret_cast<const unsigned char*>(in.data()), in.size()) == 1;
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(pkey);
  return ok;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const queue::DkimKey ed =
      *queue::dkim_generate(queue::DkimAlgorithm::kEd25519Sha256, "example.org", "ph1e");
  static const queue::DkimKey rsa =
      *queue::dkim_generate(queue::DkimAlgorithm::kRsaSha256, "example.org", "ph1r");
  if (size < 1) return 0;
  const queue::DkimKey& key = (data[0] & 15) == 0 ? rsa : ed;
  std::string message(reinterpret_cast<const char*>(data) + 1, size - 1);

  auto body = mime::dkim_relaxed_body(message);
  check_body_form(body);
  if (mime::dkim_relaxed_body(body) != body) std::abort();
  // A field name as header_fields() yields one (a line's text before its first colon).
  std::string name;
  for (char c : std::string_view(message).substr(0, 40)) {
    if (c == ':' || c == '\n') break;
    name += c;
  }
  auto h = mime::dkim_relaxed_header(name, message);
  std::string_view hv(h);
  size_t colon = hv.find(':');
  if (hv.size() < 3 || hv.substr(hv.size() - 2) != "\r\n" || colon == hv.npos) std::abort();
  std::string_view hval = hv.substr(colon + 1, hv.size() - colon - 3);
  if (hval.find_first_of("\r\n\t") != hval.npos || hval.find("  ") != hval.npos ||
      (!hval.empty() && (hval.front() == ' ' || hval.back() == ' ')))
    std::abort();
  if (base::to_lower(hv.substr(0, colon)) != hv.substr(0, colon)) std::abort();

  auto fields = fields_of(message);
  bool has_from = false;
  for (const auto& f : fields) has_from |= base::iequals(base::trim(f.first), "from");
  auto sig = queue::dkim_sign(key, message, 1700000000);
  if (!sig) {
    if (has_from) std::abort();
    if (queue::dkim_sign_all({key}, message, 0) != message) std::abort();
    return 0;
  }
  if (!has_from) std::abort();
  const std::string& s = *sig;
  if (s.rfind("DKIM-Signature:", 0) != 0 || s.size() < 17 || s.substr(s.size() - 2) != "\r\n")
    std::abort();
  std::string value = s.substr(15, s.size() - 17);
  // Body hash: of the canonical body after the header block, which ends at the first empty
  // line (LF or CRLF).
  std::string_view b;
  for (size_t pos = 0; pos < message.size();) {
    size_t lf = message.find('\n', pos);
    if (lf == std::string::npos) break;
    std::string_view line = std::string_view(message).substr(pos, lf - pos);
    pos = lf + 1;
    if (line.empty() || line == "\r") {
      b = std::string_view(message).substr(pos);
      break;
    }
  }
  if (tag(value, "bh") != protocol::base64_encode(sha256(mime::dkim_relaxed_body(b))))
    std::abort();
  // Signature: over the h= fields, each name's instances from the bottom up.
  std::string signed_data;
  std::map<std::string, size_t> taken;
  const std::string h_tag = tag(value, "h");
  for (auto n : base::split(h_tag, ':')) {
    std::string want(n);
    size_t skip = taken[want]++;
    size_t seen = 0;
    bool found = false;
    for (size_t i = fields.size(); i-- > 0;) {
      if (!base::iequals(base::trim(fields[i].first), want)) continue;
      if (seen++ < skip) continue;
      signed_data += mime::dkim_relaxed_header(fields[i].first, fields[i].second);
      found = true;
      break;
    }
    if (!found) std::abort();  // h= names a field instance the message does not have
  }
  auto bpos = value.rfind("b=");
  std::string unsigned_value = value.substr(0, bpos + 2);
  std::string sig_b64 = value.substr(bpos + 2);
  signed_data += mime::dkim_relaxed_header("DKIM-Signature", unsigned_value);
  signed_data.resize(signed_data.size() - 2);
  auto raw_sig = protocol::base64_decode(sig_b64, 4096);
  if (!raw_sig || !verify(key, signed_data, *raw_sig)) std::abort();

  auto all = queue::dkim_sign_all({key}, message, 1700000000);
  if (all.size() < message.size() || all.compare(all.size() - message.size(), message.size(),
                                                 message) != 0)
    std::abort();
  return 0;
}
