#include "antispam/dkim_key.h"

#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "base/strings.h"
#include "protocol/text.h"

namespace posthouse::antispam {

using base::Errc;
using base::Error;

namespace {

Error key_error(std::string message, Errc code = Errc::kInvalid) {
  return Error(code, "key record: " + std::move(message), "dkim");
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// True if the colon-separated list `v` holds one of `wanted` (case-insensitive).
bool list_has(std::string_view v, std::initializer_list<std::string_view> wanted) {
  for (auto item : base::split(v, ':')) {
    for (auto w : wanted) {
      if (base::iequals(trim(item), w)) return true;
    }
  }
  return false;
}

using Pkey = std::shared_ptr<EVP_PKEY>;

Pkey own(EVP_PKEY* k) { return k ? Pkey(k, EVP_PKEY_free) : Pkey(); }

// The RSA key of p=: SubjectPublicKeyInfo as RFC 6376 says, or a bare RSAPublicKey (PKCS#1),
// which some signers publish and peers accept. All of the DER must be used.
Pkey decode_rsa_key(std::string_view der) {
  auto* start = reinterpret_cast<const unsigned char*>(der.data());
  auto len = static_cast<long>(der.size());
  const unsigned char* p = start;
  Pkey k = own(d2i_PUBKEY(nullptr, &p, len));
  if (k && p == start + len && EVP_PKEY_get_base_id(k.get()) == EVP_PKEY_RSA) return k;
  p = start;
  k = own(d2i_PublicKey(EVP_PKEY_RSA, nullptr, &p, len));
  if (k && p == start + len) return k;
  ERR_clear_error();  // the failed readings' queue would be read by the next unrelated caller
  return nullptr;
}

Pkey decode_key(DkimKeyType type, std::string_view bytes) {
  if (type == DkimKeyType::kRsa) return decode_rsa_key(bytes);
  Pkey k = own(EVP_PKEY_new_raw_public_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(bytes.data()),
      bytes.size()));
  if (!k) ERR_clear_error();
  return k;
}

// Decoded public keys by their bytes. OpenSSL 3 decodes a DER key through its provider
// machinery, which costs more than the RSA verification itself (about 1.4 M instructions per
// message, measured with callgrind), and a sender signs its mail with the same few keys. An
// EVP_PKEY is safe to share between threads for verifying. Bounded: when full it starts over,
// so keys that change with every message cost what they cost without it.
class KeyCache {
 public:
  Pkey get(DkimKeyType type, std::string_view bytes) {
    std::string id(1, type == DkimKeyType::kRsa ? 'r' : 'e');
    id.append(bytes);
    {
      std::lock_guard lk(mu_);
      if (auto it = keys_.find(id); it != keys_.end()) return it->second;
    }
    Pkey k = decode_key(type, bytes);
    if (!k) return k;  // refusals are not kept: they cost a decode, as a changing key does
    std::lock_guard lk(mu_);
    if (keys_.size() >= kMaxKeys) keys_.clear();
    keys_.emplace(std::move(id), k);
    return k;
  }

 private:
  static constexpr size_t kMaxKeys = 1024;
  std::mutex mu_;
  std::unordered_map<std::string, Pkey> keys_;
};

KeyCache& key_cache() {
  static KeyCache* cache = new KeyCache();  // never destroyed: verifications may run at exit
  return *cache;
}

}  // namespace

base::Result<DkimKeyRecord> parse_dkim_key_record(std::string_view txt,
                                                  const DkimKeyLimits& limits) {
  if (txt.size() > limits.max_record_bytes) {
    return key_error(fmt::format("longer than {} bytes", limits.max_record_bytes), Errc::kTooLarge);
  }
  auto tags = PH_TRY(parse_dkim_tag_list(txt, "key record"));
  DkimKeyRecord rec;
  const DkimTag* p = nullptr;
  for (std::size_t i = 0; i < tags.size(); ++i) {
    const DkimTag& t = tags[i];
    if (t.name == "v") {
      if (i != 0) return key_error("v= is not the first tag");
      if (t.value != "DKIM1") return key_error("version is not v=DKIM1");
    } else if (t.name == "h") {
      if (!list_has(t.value, {"sha256"})) return key_error("h= does not allow sha256");
    } else if (t.name == "k") {
      if (base::iequals(t.value, "rsa")) {
        rec.type = DkimKeyType::kRsa;
      } else if (base::iequals(t.value, "ed25519")) {
        rec.type = DkimKeyType::kEd25519;
      } else {
        return key_error("unknown key type in k=");
      }
    } else if (t.name == "s") {
      if (!list_has(t.value, {"email", "*"})) return key_error("s= does not offer email");
    } else if (t.name == "t") {
      rec.testing = list_has(t.value, {"y"});
      rec.strict_identity = list_has(t.value, {"s"});
    } else if (t.name == "p") {
      p = &t;
    }
  }
  if (!p) return key_error("missing tag p=");
  std::string b64 = dkim_strip_fws(p->value);
  if (b64.empty()) {
    rec.revoked = true;
    return rec;
  }
  auto raw = protocol::base64_decode(b64, limits.max_key_bytes);
  if (!raw) {
    return raw.error().code == Errc::kTooLarge
               ? key_error(fmt::format("p= longer than {} bytes", limits.max_key_bytes),
                           Errc::kTooLarge)
               : key_error("p= is not base64");
  }
  rec.public_key = std::move(*raw);
  return rec;
}

base::Result<bool> dkim_check_signature(const DkimKeyRecord& key, DkimAlgorithm a,
                                        std::string_view data, std::string_view signature,
                                        const DkimKeyLimits& limits) {
  if (key.revoked) return key_error("key revoked (empty p=)");
  Pkey pkey;
  std::string input;
  const EVP_MD* md = nullptr;
  if (a == DkimAlgorithm::kRsaSha256) {
    if (key.type != DkimKeyType::kRsa) return key_error("a=rsa-sha256 with a k=ed25519 key");
    pkey = key_cache().get(DkimKeyType::kRsa, key.public_key);
    if (!pkey) return key_error("p= is not an RSA public key");
    int bits = EVP_PKEY_get_bits(pkey.get());
    if (bits < limits.min_rsa_bits) {
      return key_error(
          fmt::format("RSA key of {} bits is too small (at least {})", bits, limits.min_rsa_bits));
    }
    if (bits > limits.max_rsa_bits) {
      return key_error(
          fmt::format("RSA key of {} bits is too large (at most {})", bits, limits.max_rsa_bits),
          Errc::kTooLarge);
    }
    md = EVP_sha256();
    input = data;
  } else {
    if (key.type != DkimKeyType::kEd25519) return key_error("a=ed25519-sha256 with a k=rsa key");
    if (key.public_key.size() != 32) return key_error("p= is not a 32-byte Ed25519 key");
    pkey = key_cache().get(DkimKeyType::kEd25519, key.public_key);
    if (!pkey) return key_error("p= is not an Ed25519 public key");
    unsigned char h[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), h);
    input.assign(reinterpret_cast<char*>(h), sizeof h);  // RFC 8463: Ed25519 over the hash
  }
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, md, nullptr, pkey.get()) != 1) {
    return Error(Errc::kInternal, "DKIM verify init failed", "dkim");
  }
  bool ok = EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                             signature.size(), reinterpret_cast<const unsigned char*>(input.data()),
                             input.size()) == 1;
  ERR_clear_error();
  return ok;
}

}  // namespace posthouse::antispam
