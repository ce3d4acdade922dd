// The DNS seam of the native checks: TXT records by name. The verifiers (DKIM today, SPF and
// DMARC next) ask through this interface so tests and the CLI feed records directly; the
// server hands them an adapter over the c-ares resolver (app/dns_txt.h).
//
// Contract: txt() answers one name; each record is its character-strings concatenated
// (RFC 6376 3.6.2.2, RFC 7208 3.3). kNotFound is NXDOMAIN or no TXT record (permanent);
// kTempError is a timeout, SERVFAIL or an unreachable resolver. Implementations bound the
// number and size of records they return. Whether one object may be shared between threads
// is the implementation's to say (MapTxtLookup: read-only after filling, so yes).
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/strings.h"

namespace posthouse::antispam {

struct TxtAnswer {
  enum class Status { kFound, kNotFound, kTempError };
  Status status = Status::kNotFound;
  std::vector<std::string> records;
  std::string error;  // for kTempError: what failed, for the reason text
};

class TxtLookup {
 public:
  virtual ~TxtLookup() = default;
  virtual TxtAnswer txt(std::string_view name) = 0;
};

// Records from a map (tests, `posthouse dkim-verify --dns FILE`). Names are compared without
// case and without a trailing dot; a name mapped to kTempError answers that.
class MapTxtLookup : public TxtLookup {
 public:
  void add(std::string_view name, std::string record) {
    auto& a = answers_[key(name)];
    a.status = TxtAnswer::Status::kFound;
    a.records.push_back(std::move(record));
  }
  void fail(std::string_view name, std::string error) {
    answers_[key(name)] = TxtAnswer{TxtAnswer::Status::kTempError, {}, std::move(error)};
  }
  TxtAnswer txt(std::string_view name) override {
    ++queries_;
    auto it = answers_.find(key(name));
    return it == answers_.end() ? TxtAnswer{} : it->second;
  }
  int queries() const { return queries_; }

 private:
  static std::string key(std::string_view name) {
    std::string k = base::to_lower(name);
    while (!k.empty() && k.back() == '.') k.pop_back();
    return k;
  }
  std::map<std::string, TxtAnswer> answers_;
  int queries_ = 0;
};

}  // namespace posthouse::antispam
