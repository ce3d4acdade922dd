#include "queue/dkim.h"

#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <spdlog/spdlog.h>

#include <ctime>
#include <memory>

#include "base/strings.h"
#include "mime/dkim_canonical.h"
#include "mime/dkim_crypto.h"
#include "protocol/text.h"

namespace posthouse::queue {

using base::Errc;
using base::Error;

namespace {

using PkeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;

// Fields past this many are not signed (a message we send has far fewer).
constexpr std::size_t kMaxFields = 1000;

}  // namespace

std::string_view dkim_algorithm_name(DkimAlgorithm a) {
  return a == DkimAlgorithm::kRsaSha256 ? "rsa-sha256" : "ed25519-sha256";
}

std::string DkimKey::dns_txt() const {
  return fmt::format("v=DKIM1; k={}; p={}",
                     algorithm == DkimAlgorithm::kRsaSha256 ? "rsa" : "ed25519", public_b64);
}

base::Result<std::string> dkim_sign(const DkimKey& key, std::string_view message, int64_t now) {
  auto split = mime::dkim_split(message, kMaxFields);
  const auto& fields = split.fields;
  std::vector<bool> used(fields.size(), false);
  std::string h, signed_headers;
  bool has_from = false;
  for (std::string_view name : mime::kDkimSignedFields) {
    // Every instance of the header, bottom up (RFC 6376 5.4.2).
    for (std::size_t i = fields.size(); i-- > 0;) {
      if (used[i] || !base::iequals(base::trim(fields[i].name), name)) continue;
      used[i] = true;
      has_from |= name == "from";
      if (!h.empty()) h += ':';
      h += name;
      signed_headers += mime::dkim_relaxed_header(fields[i].name, fields[i].value);
    }
  }
  if (!has_from) return Error(Errc::kInvalid, "message has no From header");
  std::string bh = protocol::base64_encode(mime::dkim_sha256(mime::dkim_relaxed_body(split.body)));
  std::string value =
      fmt::format(" v=1; a={}; c=relaxed/relaxed; d={}; s={};\r\n\tt={}; h={};\r\n\tbh={};\r\n\tb=",
                  dkim_algorithm_name(key.algorithm), key.domain, key.selector, now, h, bh);
  std::string data = signed_headers + mime::dkim_relaxed_header("DKIM-Signature", value);
  data.resize(data.size() - 2);  // the signature header is hashed without its CRLF
  auto sig =
      mime::dkim_sign_data(key.algorithm == DkimAlgorithm::kEd25519Sha256, key.private_pem, data);
  if (!sig)
    return Error(Errc::kInternal,
                 fmt::format("DKIM key of {}: {}", key.domain, sig.error().message));
  return "DKIM-Signature:" + value + protocol::base64_encode(*sig) + "\r\n";
}

base::Result<DkimKey> dkim_generate(DkimAlgorithm a, std::string domain, std::string selector) {
  PkeyPtr pkey(a == DkimAlgorithm::kRsaSha256
                   ? EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048))
                   : EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"),
               EVP_PKEY_free);
  if (!pkey) return Error(Errc::kInternal, "DKIM key generation failed");
  DkimKey k;
  k.algorithm = a;
  k.domain = std::move(domain);
  k.selector = std::move(selector);
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  if (PEM_write_bio_PrivateKey(bio.get(), pkey.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1)
    return Error(Errc::kInternal, "DKIM key export failed");
  char* p = nullptr;
  long n = BIO_get_mem_data(bio.get(), &p);
  k.private_pem.assign(p, static_cast<std::size_t>(n));
  std::string pub;
  if (a == DkimAlgorithm::kRsaSha256) {
    int len = i2d_PUBKEY(pkey.get(), nullptr);
    if (len <= 0) return Error(Errc::kInternal, "DKIM public key export failed");
    pub.resize(static_cast<std::size_t>(len));
    auto* out = reinterpret_cast<unsigned char*>(pub.data());
    i2d_PUBKEY(pkey.get(), &out);
  } else {
    std::size_t len = 32;
    pub.resize(len);
    if (EVP_PKEY_get_raw_public_key(pkey.get(), reinterpret_cast<unsigned char*>(pub.data()),
                                    &len) != 1)
      return Error(Errc::kInternal, "DKIM public key export failed");
    pub.resize(len);
  }
  k.public_b64 = protocol::base64_encode(pub);
  return k;
}

std::string dkim_sign_all(const std::vector<DkimKey>& keys, const std::string& message,
                          int64_t now) {
  std::string headers;
  for (const auto& k : keys) {
    auto h = dkim_sign(k, message, now);
    if (!h) {
      spdlog::warn("dkim: not signed for {}: {}", k.domain, h.error().message);
      return message;
    }
    headers += *h;
  }
  return headers + message;
}

}  // namespace posthouse::queue
