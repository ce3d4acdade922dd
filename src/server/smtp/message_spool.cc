#include "server/smtp/message_spool.h"

#include <algorithm>
#include <cstring>

namespace posthouse::server::smtp {

void MessageSpool::start() {
  clear();
  started_ = true;
  if (budget_) lease_ = net::InflightBudget::Lease(*budget_);
  // Room for a full window plus the read that fills it, so the window never grows by
  // reallocation (which would hold two buffers for a moment).
  window_.reserve(kWindowBytes + kReadSlackBytes);
}

void MessageSpool::account() {
  uint64_t now = received();
  if (now > accounted_) lease_.add(now - accounted_);
  accounted_ = now;
}

base::Status MessageSpool::flush() {
  if (window_.empty()) return {};
  if (!file_) file_ = PH_TRY(store::SpoolFile::create(dir_));
  PH_CHECK(file_->append(window_));
  window_.clear();  // keeps its capacity: the window is reused for the next bytes
  return {};
}

void MessageSpool::clear() {
  file_.reset();
  lease_.release();
  lease_ = {};
  started_ = false;
  accounted_ = 0;
  header_.clear();
  head_.clear();
  skip_ = 0;
  std::string().swap(window_);  // an idle session keeps no window
}

void MessageSpool::replace_start(std::string bytes, uint64_t original) {
  head_ = std::move(bytes);
  skip_ = std::min(original, received());
}

base::Status MessageSpool::read_at(uint64_t offset, char* dst, std::size_t n) const {
  if (offset > size() || n > size() - offset)
    return base::Error(base::Errc::kInternal, "message read past the end");
  // In order: the header, the replaced start, then what was received from skip_ on (in the
  // file, then in the window).
  auto copy_mem = [&](std::string_view s, uint64_t start) {
    if (n == 0 || offset < start || offset >= start + s.size()) return;
    std::size_t take = std::min<uint64_t>(n, start + s.size() - offset);
    std::memcpy(dst, s.data() + (offset - start), take);
    dst += take;
    offset += take;
    n -= take;
  };
  copy_mem(header_, 0);
  copy_mem(head_, header_.size());
  if (n == 0) return {};
  // Received bytes: offset o of the message is received byte o - base.
  uint64_t base = header_.size() + head_.size() - skip_;
  uint64_t file_size = file_ ? file_->size() : 0;
  if (offset - base < file_size) {
    std::size_t take = std::min<uint64_t>(n, file_size - (offset - base));
    PH_CHECK(file_->read_at(offset - base, dst, take));
    dst += take;
    offset += take;
    n -= take;
  }
  copy_mem(window_, base + file_size);
  return {};
}

}  // namespace posthouse::server::smtp
