// DkimKeys: the per-domain DKIM keys in the database (table dkim_keys). Apart from dkim.cc so
// the signing code links without the store (tests/fuzz/dkim_fuzz.cc).
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <ctime>

#include "base/strings.h"
#include "queue/dkim.h"

namespace posthouse::queue {

base::Result<std::vector<DkimKey>> DkimKeys::get(std::string_view domain) {
  auto st = PH_TRY(db_.prepare(
      "SELECT algorithm, selector, private_pem, public_b64 FROM dkim_keys WHERE domain = ? "
      "ORDER BY algorithm DESC"));
  st.bind(1, base::to_lower(domain));
  std::vector<DkimKey> out;
  while (PH_TRY(st.step())) {
    DkimKey k;
    k.algorithm = st.col_text(0) == "rsa-sha256" ? DkimAlgorithm::kRsaSha256
                                                 : DkimAlgorithm::kEd25519Sha256;
    k.domain = base::to_lower(domain);
    k.selector = st.col_text(1);
    k.private_pem = st.col_text(2);
    k.public_b64 = st.col_text(3);
    out.push_back(std::move(k));
  }
  return out;
}

base::Result<std::vector<DkimKey>> DkimKeys::ensure(std::string_view domain,
                                                    std::string_view selector, int64_t now) {
  auto have = PH_TRY(get(domain));
  if (!have.empty()) return have;
  std::string d = base::to_lower(domain);
  // Generated before the write transaction: an RSA key takes ~100 ms, which must not hold the
  // database's write lock. Two racing callers both generate; the first insert wins.
  std::vector<DkimKey> fresh;
  for (auto a : {DkimAlgorithm::kRsaSha256, DkimAlgorithm::kEd25519Sha256}) {
    std::string sel = fmt::format("{}{}", selector, a == DkimAlgorithm::kRsaSha256 ? "r" : "e");
    fresh.push_back(PH_TRY(dkim_generate(a, d, sel)));
  }
  auto tx = PH_TRY(store::sqlite::Tx::begin(db_));
  auto ins = PH_TRY(db_.prepare(
      "INSERT OR IGNORE INTO dkim_keys(domain, algorithm, selector, private_pem, public_b64, "
      "created_at) VALUES(?,?,?,?,?,?)"));
  for (const auto& k : fresh) {
    ins.reset();
    ins.bind(1, d)
        .bind(2, dkim_algorithm_name(k.algorithm))
        .bind(3, k.selector)
        .bind(4, k.private_pem)
        .bind(5, k.public_b64)
        .bind(6, now);
    PH_CHECK(ins.run());
  }
  PH_CHECK(tx.commit());
  spdlog::info("dkim: generated keys for {}", d);
  return get(domain);
}

void create_domain_keys(store::sqlite::Db& db, std::string_view domain,
                        std::string_view selector) {
  auto keys = DkimKeys(db).ensure(domain, selector, std::time(nullptr));
  if (!keys.ok())
    spdlog::warn("dkim: no keys for new domain {} yet ({}); made on first use", domain,
                 keys.error().message);
}

}  // namespace posthouse::queue
