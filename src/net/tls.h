// TLS server context from PEM files (OpenSSL through Asio). TLS 1.2+ only, server cipher
// preference. A missing or unreadable certificate/key is a start-up error naming the file.
// Also: make_self_signed(), used by `posthouse init` to write a certificate for the hostname.
#pragma once

#include <boost/asio/ssl.hpp>

#include <memory>
#include <string>

#include "base/result.h"

namespace posthouse::net {

base::Result<std::shared_ptr<boost::asio::ssl::context>> make_server_tls(
    const std::string& cert_path, const std::string& key_path);

// Writes a self-signed certificate (RSA 2048, SHA-256, 10 years, CN and SAN = hostname) and its
// key to the given paths; the key file is created with mode 0600.
base::Status make_self_signed(const std::string& hostname, const std::string& cert_path,
                              const std::string& key_path);

}  // namespace posthouse::net
