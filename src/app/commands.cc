#include "app/commands.h"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>

#include "base/ids.h"
#include "net/tls.h"
#include "store/sqlite/mail_store.h"
#include "store/sqlite/stores.h"

namespace posthouse::app {

namespace fs = std::filesystem;

int fail(int code, const std::string& msg) {
  std::cerr << "posthouse: " << msg << "\n";
  return code;
}

namespace {

bool write_file_durably(const std::string& path, const std::string& text, mode_t mode) {
  std::string tmp = path + ".tmp";
  FILE* f = fopen(tmp.c_str(), "w");
  if (!f) return false;
  bool ok = fwrite(text.data(), 1, text.size(), f) == text.size() && fflush(f) == 0 &&
            fsync(fileno(f)) == 0;
  fclose(f);
  if (!ok) return false;
  chmod(tmp.c_str(), mode);
  return rename(tmp.c_str(), path.c_str()) == 0;
}

}  // namespace

int cmd_init(const InitOptions& o) {
  if (o.data_dir.empty()) return fail(2, "init needs --data DIR");
  std::error_code ec;
  fs::path dir = fs::absolute(o.data_dir, ec);
  if (fs::exists(dir / "posthouse.toml", ec) && !o.force) {
    return fail(1, fmt::format("{} already holds a Posthouse data dir; use --force to overwrite",
                               dir.string()));
  }
  fs::create_directories(dir / "tls", ec);
  if (ec) return fail(1, fmt::format("cannot create {}: {}", (dir / "tls").string(), ec.message()));
  if (access(dir.c_str(), W_OK) != 0) {
    return fail(1, fmt::format("data dir {} is not writable", dir.string()));
  }
  chmod(dir.c_str(), 0750);
  std::string cfg_path = (dir / "posthouse.toml").string();
  if (!write_file_durably(cfg_path, config::default_file_text(o.hostname), 0640)) {
    return fail(1, fmt::format("cannot write {}: {}", cfg_path, std::strerror(errno)));
  }
  auto cfg = config::load(cfg_path);
  if (!cfg) return fail(2, cfg.error().message);
  if (auto st = net::make_self_signed(o.hostname, cfg->tls.cert, cfg->tls.key); !st) {
    return fail(1, st.error().message);
  }
  if (o.force) {
    for (const char* f : {"posthouse.db", "posthouse.db-wal", "posthouse.db-shm"}) fs::remove(dir / f, ec);
  }
  store::sqlite::SqliteBackend backend(cfg->db_path());
  if (auto st = backend.migrate(); !st) return fail(1, st.error().message);
  auto stores = backend.open();
  if (!stores) return fail(1, stores.error().message);
  // The platform admin's password is shown once and stored only as an argon2id hash.
  std::string password = base::random_password();
  if (auto st = directory::bootstrap_platform_admin((*stores)->directory(), "admin", password,
                                                    password_options(*cfg));
      !st) {
    return fail(1, st.error().message);
  }

  std::cout << fmt::format("Initialised {} for {}\n", dir.string(), o.hostname);
  std::cout << fmt::format("  config: {}\n  TLS certificate: {} (self-signed)\n  database: {}\n",
                           cfg_path, cfg->tls.cert, cfg->db_path());
  std::cout << fmt::format("Platform admin login: admin\nPlatform admin password: {}\n"
                           "(shown once; change it with `posthouse password set admin`)\n",
                           password);
  return 0;
}

int cmd_check(const std::string& data_dir, bool repair) {
  store::sqlite::MailStoreOptions mso;
  mso.data_dir = data_dir;
  // The data dir's config says whether the store keeps a search index, as for the server: a
  // check must neither build one the server does not keep nor report its absence.
  std::error_code ec;
  std::string cfg_path = (std::filesystem::path(data_dir) / "posthouse.toml").string();
  if (std::filesystem::exists(cfg_path, ec)) {
    auto cfg = config::load(cfg_path);
    if (!cfg) return fail(2, cfg.error().message);
    mso.search_index = cfg->imap.search_index;
  }
  auto mail = store::sqlite::SqliteMailStore::open(mso);
  if (!mail) return fail(1, mail.error().message);
  auto report = (*mail)->check(repair);
  if (!report) return fail(1, report.error().message);
  for (const auto& p : report->problems) std::cout << p << "\n";
  if (repair) std::cout << fmt::format("{} problems repaired\n", report->repaired);
  if (report->ok()) {
    std::cout << "store is consistent\n";
    return 0;
  }
  return repair ? 0 : 1;
}

}  // namespace posthouse::app
