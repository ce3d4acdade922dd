// DkimKeys: the per-domain DKIM keys over a store::DkimKeyStore. Apart from dkim.cc so
// the signing code links without the store (tests/fuzz/dkim_fuzz.cc).
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <ctime>

#include "base/clock.h"
#include "base/strings.h"
#include "queue/dkim.h"

namespace posthouse::queue {

base::Result<std::vector<DkimKey>> DkimKeys::get(std::string_view domain) {
  std::string d = base::to_lower(domain);
  std::vector<DkimKey> out;
  for (auto& r : PH_TRY(store_.get(d))) {
    DkimKey k;
    k.algorithm = r.algorithm == "rsa-sha256" ? DkimAlgorithm::kRsaSha256
                                              : DkimAlgorithm::kEd25519Sha256;
    k.domain = d;
    k.selector = std::move(r.selector);
    k.private_pem = std::move(r.private_pem);
    k.public_b64 = std::move(r.public_b64);
    out.push_back(std::move(k));
  }
  return out;
}

base::Result<std::vector<DkimKey>> DkimKeys::ensure(std::string_view domain,
                                                    std::string_view selector, int64_t now) {
  auto have = PH_TRY(get(domain));
  if (!have.empty()) return have;
  std::string d = base::to_lower(domain);
  // Generated before the write: an RSA key takes ~100 ms, which must not hold the database's
  // write lock. Two racing callers both generate; the first insert wins.
  std::vector<store::DkimKeyRecord> fresh;
  for (auto a : {DkimAlgorithm::kRsaSha256, DkimAlgorithm::kEd25519Sha256}) {
    std::string sel = fmt::format("{}{}", selector, a == DkimAlgorithm::kRsaSha256 ? "r" : "e");
    auto k = PH_TRY(dkim_generate(a, d, sel));
    fresh.push_back({.domain = d,
                     .algorithm = std::string(dkim_algorithm_name(a)),
                     .selector = std::move(k.selector),
                     .private_pem = std::move(k.private_pem),
                     .public_b64 = std::move(k.public_b64)});
  }
  PH_CHECK(store_.insert_absent(fresh, now));
  spdlog::info("dkim: generated keys for {}", d);
  return get(domain);
}

void create_domain_keys(store::DkimKeyStore& store, std::string_view domain,
                        std::string_view selector) {
  auto keys = DkimKeys(store).ensure(domain, selector, base::unix_now());
  if (!keys.ok())
    spdlog::warn("dkim: no keys for new domain {} yet ({}); made on first use", domain,
                 keys.error().message);
}

}  // namespace posthouse::queue
