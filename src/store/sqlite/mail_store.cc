// SqliteMailStore: open and lifetime, the reader pool, watchers, and the helpers every part
// of the implementation shares (mail_store_internal.h says which file holds what).
#include "base/clock.h"
#include "store/sqlite/mail_store.h"

#include <algorithm>
#include <ctime>

#include "base/strings.h"
#include "store/sqlite/mail_store_internal.h"

namespace posthouse::store::sqlite {

namespace mail_internal {

int64_t now_seconds() { return base::unix_now(); }

std::string join_keywords(const std::vector<std::string>& kw) {
  std::string out;
  for (const auto& k : kw) {
    if (!out.empty()) out += ' ';
    out += k;
  }
  return out;
}

std::vector<std::string> split_keywords(std::string_view s) {
  std::vector<std::string> out;
  for (auto p : base::split(s, ' ')) {
    if (!p.empty()) out.emplace_back(p);
  }
  return out;
}

base::Status normalize_flags(Flags* f) {
  if (f->system & ~31u) return Error(Errc::kInvalid, "unknown system flag");
  if (f->keywords.size() > 100) return Error(Errc::kLimit, "too many keywords");
  for (const auto& k : f->keywords) {
    if (k.empty() || k.size() > 100 || k[0] == '\\') {
      return Error(Errc::kInvalid, "invalid keyword", "keywords");
    }
    for (char c : k) {
      auto u = static_cast<unsigned char>(c);
      if (u <= 32 || u >= 127 || std::string_view("(){%*\"\\]").find(c) != std::string_view::npos)
        return Error(Errc::kInvalid, "invalid keyword", "keywords");
    }
  }
  std::sort(f->keywords.begin(), f->keywords.end());
  f->keywords.erase(std::unique(f->keywords.begin(), f->keywords.end()), f->keywords.end());
  return {};
}

base::Status as_status(base::Result<std::monostate> r) {
  if (r.ok()) return {};
  return std::move(r).error();
}

Error batch_error(Error e) {
  if (e.code != Errc::kTemporary && e.code != Errc::kIo) e.code = Errc::kIo;
  return e;
}

}  // namespace mail_internal

SqliteMailStore::SqliteMailStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

SqliteMailStore::~SqliteMailStore() { stop(); }

void SqliteMailStore::stop() {
  {
    std::lock_guard lk(impl_->mu);
    if (impl_->stopping && !impl_->thread.joinable()) return;
    impl_->stopping = true;
    impl_->cv.notify_all();
  }
  if (impl_->thread.joinable()) impl_->thread.join();
}

base::Result<std::unique_ptr<SqliteMailStore>> SqliteMailStore::open(MailStoreOptions opts) {
  if (opts.data_dir.empty()) return Error(Errc::kInvalid, "data_dir is required", "data_dir");
  if (opts.db_path.empty()) opts.db_path = opts.data_dir + "/mail.db";
  FsEnv* env = opts.env ? opts.env : &FsEnv::posix();
  std::vector<std::string> created;
  PH_CHECK(env->make_dirs(opts.data_dir + "/blobs", &created));
  auto impl = std::make_unique<Impl>(std::move(opts), env);
  auto db = PH_TRY(Db::open(impl->opts.db_path));
  PH_CHECK(db->migrate());
  impl->writer = std::make_unique<Conn>(std::move(db));
  PH_CHECK(impl->open_search_index());
  std::unique_ptr<SqliteMailStore> store(new SqliteMailStore(std::move(impl)));
  Impl* i = store->impl_.get();
  i->thread = std::thread([i] { i->writer_loop(); });
  return store;
}

SqliteMailStore::Stats SqliteMailStore::stats() const {
  uint64_t queued = 0;
  {
    std::lock_guard lk(impl_->mu);
    queued = impl_->queue.size();
  }
  return {impl_->batches.load(), impl_->ops_done.load(), queued};
}

// ---- readers

SqliteMailStore::Impl::Lease::~Lease() {
  if (!conn) return;
  std::lock_guard lk(impl->readers_mu);
  if (impl->idle_readers.size() < impl->opts.max_idle_readers) {
    impl->idle_readers.push_back(std::move(conn));
  }
}

base::Result<SqliteMailStore::Impl::Lease> SqliteMailStore::Impl::reader() {
  {
    std::lock_guard lk(readers_mu);
    if (!idle_readers.empty()) {
      auto c = std::move(idle_readers.back());
      idle_readers.pop_back();
      return Lease(this, std::move(c));
    }
  }
  auto db = PH_TRY(Db::open(opts.db_path));
  return Lease(this, std::make_unique<Conn>(std::move(db)));
}

// ---- watchers

void SqliteMailStore::Impl::notify(const std::vector<Change>& changes) {
  if (changes.empty()) return;
  std::lock_guard nl(notify_mu);
  for (const auto& c : changes) {
    std::vector<std::shared_ptr<ChangeCallback>> cbs;
    {
      std::lock_guard lk(watch_mu);
      auto it = watchers.find(c.mailbox_id);
      if (it == watchers.end()) continue;
      for (auto& [t, cb] : it->second) cbs.push_back(cb);
    }
    for (auto& cb : cbs) (*cb)(c);
  }
}

uint64_t SqliteMailStore::watch(MailboxId mb, ChangeCallback cb) {
  std::lock_guard lk(impl_->watch_mu);
  uint64_t t = impl_->next_token++;
  impl_->watchers[mb].emplace_back(t, std::make_shared<ChangeCallback>(std::move(cb)));
  impl_->watch_tokens[t] = mb;
  return t;
}

void SqliteMailStore::unwatch(uint64_t token) {
  {
    std::lock_guard lk(impl_->watch_mu);
    auto it = impl_->watch_tokens.find(token);
    if (it == impl_->watch_tokens.end()) return;
    auto& v = impl_->watchers[it->second];
    std::erase_if(v, [&](const auto& p) { return p.first == token; });
    if (v.empty()) impl_->watchers.erase(it->second);
    impl_->watch_tokens.erase(it);
  }
  // Wait out a notification round that may still hold the callback.
  std::lock_guard nl(impl_->notify_mu);
}

}  // namespace posthouse::store::sqlite
