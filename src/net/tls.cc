#include "net/tls.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

namespace posthouse::net {

using base::Errc;
using base::Error;
namespace ssl = boost::asio::ssl;

namespace {
std::string openssl_error() {
  unsigned long e = ERR_get_error();
  if (!e) return "unknown error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}
}  // namespace

base::Result<std::shared_ptr<ssl::context>> make_server_tls(const std::string& cert_path,
                                                            const std::string& key_path) {
  for (const auto& p : {cert_path, key_path}) {
    std::ifstream f(p);
    if (!f) {
      return Error(Errc::kIo, fmt::format("cannot read TLS file {}: {}", p, std::strerror(errno)));
    }
  }
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                   ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                   ssl::context::single_dh_use);
  SSL_CTX_set_options(ctx->native_handle(), SSL_OP_CIPHER_SERVER_PREFERENCE);
  boost::system::error_code ec;
  ctx->use_certificate_chain_file(cert_path, ec);
  if (ec) return Error(Errc::kInvalid, fmt::format("bad TLS certificate {}: {}", cert_path, ec.message()));
  ctx->use_private_key_file(key_path, ssl::context::pem, ec);
  if (ec) return Error(Errc::kInvalid, fmt::format("bad TLS key {}: {}", key_path, ec.message()));
  if (SSL_CTX_check_private_key(ctx->native_handle()) != 1)
    return Error(Errc::kInvalid, fmt::format("TLS key {} does not match certificate {}", key_path,
                                             cert_path));
  return ctx;
}

base::Status make_self_signed(const std::string& hostname, const std::string& cert_path,
                              const std::string& key_path) {
  EVP_PKEY* pkey = EVP_RSA_gen(2048);
  if (!pkey) return Error(Errc::kInternal, "key generation failed: " + openssl_error());
  X509* x = X509_new();
  ASN1_INTEGER_set(X509_get_serialNumber(x), static_cast<long>(time(nullptr)));
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), 10L * 365 * 24 * 3600);
  X509_set_version(x, 2);
  X509_set_pubkey(x, pkey);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(hostname.c_str()), -1, -1, 0);
  X509_set_issuer_name(x, name);
  X509V3_CTX v3;
  X509V3_set_ctx_nodb(&v3);
  X509V3_set_ctx(&v3, x, x, nullptr, nullptr, 0);
  std::string san = "DNS:" + hostname;
  if (X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &v3, NID_subject_alt_name, san.c_str())) {
    X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
  }
  base::Status result;
  if (X509_sign(x, pkey, EVP_sha256()) == 0) {
    result = Error(Errc::kInternal, "certificate signing failed: " + openssl_error());
  }
  if (result.ok()) {
    int fd = ::open(key_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    FILE* kf = fd >= 0 ? fdopen(fd, "w") : nullptr;
    if (!kf || PEM_write_PrivateKey(kf, pkey, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
      result = Error(Errc::kIo, fmt::format("cannot write {}: {}", key_path, std::strerror(errno)));
    }
    if (kf) fclose(kf);
  }
  if (result.ok()) {
    FILE* cf = fopen(cert_path.c_str(), "w");
    if (!cf || PEM_write_X509(cf, x) != 1) {
      result = Error(Errc::kIo, fmt::format("cannot write {}: {}", cert_path, std::strerror(errno)));
    }
    if (cf) fclose(cf);
  }
  X509_free(x);
  EVP_PKEY_free(pkey);
  return result;
}

}  // namespace posthouse::net
