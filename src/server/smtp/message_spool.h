// MessageSpool: the message one SMTP session is receiving, with a bounded memory cost. Decoded
// body bytes land in window() (the DATA decoder appends to it; BDAT chunks are appended); once
// it holds kWindowBytes, flush() moves them to a nameless spool file (store/spool.h), so a
// session holds at most one window plus the connection's read buffer, whatever the message
// size. A message smaller than the window never touches the disk. Every byte received is
// counted in the shared in-flight budget (net/inflight.h) until clear().
//
// It is the delivery::MessageSource handed to Gateway::accept(): the header set by set_header()
// (Received, Authentication-Results), then the replacement of the message's start set by
// replace_start() (its header section without forged fields), then the rest of what was
// received (in the file, then the window).
//
// Contract: one per session, used on its executor, except flush() and the MessageSource reads,
// which block and run on a BlockingPool thread while the session awaits them. clear() (also
// by destruction) closes the file and gives the budget back: every path ends in one.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "delivery/gateway.h"
#include "net/inflight.h"
#include "store/spool.h"

namespace posthouse::server::smtp {

class MessageSpool final : public delivery::MessageSource {
 public:
  static constexpr std::size_t kWindowBytes = 256 * 1024;
  // What one feed may add past a full window: the connection's buffered input (it reads 16 KiB
  // at a time and compacts past 64 KiB).
  static constexpr std::size_t kReadSlackBytes = 128 * 1024;

  // dir: where spool files go; budget: may be null (nothing counted, always admitted).
  MessageSpool(std::string dir, net::InflightBudget* budget)
      : dir_(std::move(dir)), budget_(budget) {}

  // A new message may start (the in-flight budget is not exhausted). Call before start().
  bool admitted() const { return !budget_ || budget_->admits(); }
  // Begins a message: empty, counted in the budget from now on.
  void start();
  bool started() const { return started_; }

  std::string& window() { return window_; }
  void append(std::string_view bytes) { window_.append(bytes); }
  // Counts what window() gained since the last call in the in-flight budget.
  void account();
  bool window_full() const { return window_.size() >= kWindowBytes; }
  // Blocking: writes the window to the spool file (created on first use) and empties it.
  base::Status flush();

  void set_header(std::string header) { header_ = std::move(header); }
  // The first `original` bytes received are read as `bytes` instead (at most received()).
  void replace_start(std::string bytes, uint64_t original);
  // The body bytes received so far (not the header).
  uint64_t received() const { return (file_ ? file_->size() : 0) + window_.size(); }

  // Drops the message: closes the file (its space goes back), gives the budget back and
  // releases the window's memory.
  void clear();

  uint64_t size() const override {
    return header_.size() + head_.size() + received() - skip_;
  }
  base::Status read_at(uint64_t offset, char* dst, std::size_t n) const override;

 private:
  std::string dir_;
  net::InflightBudget* budget_;
  net::InflightBudget::Lease lease_;
  bool started_ = false;
  std::string header_;
  std::string head_;   // replace_start(): read instead of the first skip_ received bytes
  uint64_t skip_ = 0;
  std::unique_ptr<store::SpoolFile> file_;
  std::string window_;
  uint64_t accounted_ = 0;  // received() already counted in lease_
};

}  // namespace posthouse::server::smtp
