#include "base/clock.h"

#include <sys/stat.h>

#include <atomic>
#include <cstdio>
#include <mutex>

namespace posthouse::base {
namespace {

std::atomic<int64_t> g_offset{0};
std::atomic<bool> g_file_on{false};
std::mutex g_file_mu;
std::string g_file;           // guarded by g_file_mu
struct timespec g_mtime{};    // guarded by g_file_mu
off_t g_size = -1;            // guarded by g_file_mu

// Re-reads the clock file when its mtime or size changed since the last read.
void poll_file() {
  std::lock_guard lock(g_file_mu);
  struct stat st {};
  if (::stat(g_file.c_str(), &st) != 0) return;
  if (st.st_size == g_size && st.st_mtim.tv_sec == g_mtime.tv_sec &&
      st.st_mtim.tv_nsec == g_mtime.tv_nsec)
    return;
  FILE* f = std::fopen(g_file.c_str(), "r");
  if (!f) return;
  long long v = 0;
  bool ok = std::fscanf(f, "%lld", &v) == 1;
  std::fclose(f);
  if (!ok) return;  // half-written: read again at the next change
  g_size = st.st_size;
  g_mtime = st.st_mtim;
  set_clock_offset(v);
}

int64_t offset() {
  if (g_file_on.load(std::memory_order_relaxed)) poll_file();
  return g_offset.load(std::memory_order_relaxed);
}

}  // namespace

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
             .count() +
         offset();
}

std::chrono::steady_clock::time_point steady_now() {
  return std::chrono::steady_clock::now() + std::chrono::seconds(offset());
}

void set_clock_offset(int64_t seconds) {
  int64_t cur = g_offset.load();
  while (seconds > cur && !g_offset.compare_exchange_weak(cur, seconds)) {
  }
}

int64_t clock_offset() { return offset(); }

void use_clock_file(std::string path) {
  std::lock_guard lock(g_file_mu);
  g_file = std::move(path);
  g_size = -1;
  g_file_on.store(!g_file.empty());
}

}  // namespace posthouse::base
