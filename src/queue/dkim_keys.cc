// DkimKeys: the per-domain DKIM keys in the database (table dkim_keys). Apart from dkim.cc so
// the signing code links without the store (tests/fuzz/dkim_fuzz.cc).
#include <spdlog/spdlog.h>

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
  auto tx = PH_TRY(store::sqlite::Tx::begin(db_));
  auto ins = PH_TRY(db_.prepare(
      "INSERT OR IGNORE INTO dkim_keys(domain, algorithm, selector, private_pem, public_b64, "
      "created_at) VALUES(?,?,?,?,?,?)"));
  for (auto a : {DkimAlgorithm::kRsaSha256, DkimAlgorithm::kEd25519Sha256}) {
    std::string sel = fmt::format("{}{}", selector, a == DkimAlgorithm::kRsaSha256 ? "r" : "e");
    auto k = PH_TRY(dkim_generate(a, d, sel));
    ins.reset();
    ins.bind(1, d)
        .bind(2, dkim_algorithm_name(a))
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

}  // namespace posthouse::queue
