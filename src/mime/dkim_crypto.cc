#include "mime/dkim_crypto.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include <memory>

namespace posthouse::mime {

using base::Errc;
using base::Error;

std::string dkim_sha256(std::string_view data) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), md);
  return std::string(reinterpret_cast<char*>(md), sizeof md);
}

base::Result<std::string> dkim_sign_data(bool ed25519, std::string_view private_pem,
                                         std::string_view data) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(private_pem.data(), static_cast<int>(private_pem.size())), BIO_free);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> pkey(
      PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr), EVP_PKEY_free);
  if (!pkey) return Error(Errc::kInternal, "DKIM private key unreadable");
  if ((EVP_PKEY_get_base_id(pkey.get()) == EVP_PKEY_ED25519) != ed25519) {
    return Error(Errc::kInternal, "DKIM private key is not of the signature's algorithm");
  }
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  std::string input;
  const EVP_MD* md = nullptr;
  if (ed25519) {
    input = dkim_sha256(data);  // RFC 8463: Ed25519 over the SHA-256 hash
  } else {
    md = EVP_sha256();
    input = std::string(data);
  }
  if (EVP_DigestSignInit(ctx.get(), nullptr, md, nullptr, pkey.get()) != 1)
    return Error(Errc::kInternal, "DKIM sign init failed");
  std::size_t len = 0;
  auto in = reinterpret_cast<const unsigned char*>(input.data());
  if (EVP_DigestSign(ctx.get(), nullptr, &len, in, input.size()) != 1)
    return Error(Errc::kInternal, "DKIM sign failed");
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, in,
                     input.size()) != 1)
    return Error(Errc::kInternal, "DKIM sign failed");
  sig.resize(len);
  return sig;
}

}  // namespace posthouse::mime
