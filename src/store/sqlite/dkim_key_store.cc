#include "store/sqlite/dkim_key_store.h"

namespace posthouse::store::sqlite {

base::Result<std::vector<DkimKeyRecord>> SqliteDkimKeyStore::get(std::string_view domain) {
  auto st = PH_TRY(db_.prepare(
      "SELECT algorithm, selector, private_pem, public_b64 FROM dkim_keys WHERE domain = ? "
      "ORDER BY algorithm DESC"));
  st.bind(1, domain);
  std::vector<DkimKeyRecord> out;
  while (PH_TRY(st.step())) {
    out.push_back({.domain = std::string(domain),
                   .algorithm = st.col_text(0),
                   .selector = st.col_text(1),
                   .private_pem = st.col_text(2),
                   .public_b64 = st.col_text(3)});
  }
  return out;
}

base::Status SqliteDkimKeyStore::insert_absent(const std::vector<DkimKeyRecord>& keys,
                                               int64_t now) {
  auto tx = PH_TRY(Tx::begin(db_));
  auto ins = PH_TRY(db_.prepare(
      "INSERT OR IGNORE INTO dkim_keys(domain, algorithm, selector, private_pem, public_b64, "
      "created_at) VALUES(?,?,?,?,?,?)"));
  for (const auto& k : keys) {
    ins.reset();
    ins.bind(1, k.domain)
        .bind(2, k.algorithm)
        .bind(3, k.selector)
        .bind(4, k.private_pem)
        .bind(5, k.public_b64)
        .bind(6, now);
    PH_CHECK(ins.run());
  }
  return tx.commit();
}

}  // namespace posthouse::store::sqlite
