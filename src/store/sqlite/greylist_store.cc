#include "store/sqlite/greylist_store.h"

namespace posthouse::store::sqlite {

base::Result<GreylistTry> SqliteGreylistStore::attempt(std::string_view network,
                                                       std::string_view sender,
                                                       std::string_view recipient, int64_t now) {
  // One statement records the try and reads the triplet back, so concurrent tries agree.
  auto st = PH_TRY(db_.prepare(
      "INSERT INTO greylist_triplets(network, sender, recipient, first_seen, last_seen, tries) "
      "VALUES(?, ?, ?, ?, ?, 1) ON CONFLICT(network, sender, recipient) DO UPDATE SET "
      "last_seen = MAX(greylist_triplets.last_seen, excluded.last_seen), "
      "tries = greylist_triplets.tries + 1 RETURNING first_seen, tries"));
  st.bind_all(network, sender, recipient, now, now);
  if (!PH_TRY(st.step())) return base::Error(base::Errc::kInternal, "greylist: no row returned");
  GreylistTry t{st.col_int(0), st.col_int(1)};
  st.reset();
  return t;
}

base::Status SqliteGreylistStore::restart(std::string_view network, std::string_view sender,
                                          std::string_view recipient, int64_t now) {
  auto st = PH_TRY(db_.prepare(
      "UPDATE greylist_triplets SET first_seen = ?, last_seen = ?, tries = 1 "
      "WHERE network = ? AND sender = ? AND recipient = ?"));
  st.bind_all(now, now, network, sender, recipient);
  return st.run();
}

base::Result<bool> SqliteGreylistStore::allowed(GreylistAllow kind, std::string_view key,
                                                int64_t now) {
  auto st = PH_TRY(db_.prepare(
      "SELECT 1 FROM greylist_allowed WHERE kind = ? AND key = ? AND until > ?"));
  st.bind_all(static_cast<int64_t>(kind), key, now);
  bool found = PH_TRY(st.step());
  st.reset();
  return found;
}

base::Status SqliteGreylistStore::allow(GreylistAllow kind, std::string_view key, int64_t until) {
  auto st = PH_TRY(db_.prepare(
      "INSERT INTO greylist_allowed(kind, key, until) VALUES(?, ?, ?) "
      "ON CONFLICT(kind, key) DO UPDATE SET until = MAX(greylist_allowed.until, excluded.until)"));
  st.bind_all(static_cast<int64_t>(kind), key, until);
  return st.run();
}

base::Result<int64_t> SqliteGreylistStore::expire(int64_t triplets_before, int64_t now) {
  auto triplets = PH_TRY(db_.prepare("DELETE FROM greylist_triplets WHERE last_seen < ?"));
  triplets.bind(1, triplets_before);
  PH_CHECK(triplets.run());
  int64_t n = db_.changes();
  auto allowed = PH_TRY(db_.prepare("DELETE FROM greylist_allowed WHERE until <= ?"));
  allowed.bind(1, now);
  PH_CHECK(allowed.run());
  return n + db_.changes();
}

}  // namespace posthouse::store::sqlite
