// GreylistStore: what greylisting remembers (delivery/greylist.h): when each triplet (client
// network, envelope sender, recipient) was first and last tried, and until when a client
// network with a sender domain, or a verified sender domain, is let through.
//
// Contract:
// - attempt() records a try of the triplet at `now` in one atomic step and returns it as
//   stored afterwards: a new triplet is {now, 1}; a known one keeps first_seen and counts the
//   try. Two concurrent tries (on any node) agree on first_seen and count both.
// - restart() makes the triplet new again: first_seen = now, tries = 1 (a retry that came too
//   late starts over).
// - allowed() is true while an allow() of the same (kind, key) has an `until` after now;
//   allow() keeps the later of the stored and the given `until`.
// - expire() deletes triplets last tried before `triplets_before` and allowances whose until
//   is not after `now`; returns how many rows went.
// - Keys are compared as given: the caller lower-cases them.
// - Thread safety: one object per thread at a time (it wraps one connection of its backend).
// Implemented by store/sqlite/greylist_store.h (tables greylist_triplets, greylist_allowed,
// migration 0110).
#pragma once

#include <cstdint>
#include <string_view>

#include "base/result.h"

namespace posthouse::store {

enum class GreylistAllow {
  kNetwork,  // key: "<network> <sender domain>", after a successful retry
  kDomain,   // key: a sender domain verified by SPF or DKIM, after a successful retry
};

struct GreylistTry {
  int64_t first_seen = 0;
  int64_t tries = 0;  // this one included
};

class GreylistStore {
 public:
  virtual ~GreylistStore() = default;
  virtual base::Result<GreylistTry> attempt(std::string_view network, std::string_view sender,
                                        std::string_view recipient, int64_t now) = 0;
  virtual base::Status restart(std::string_view network, std::string_view sender,
                               std::string_view recipient, int64_t now) = 0;
  virtual base::Result<bool> allowed(GreylistAllow kind, std::string_view key, int64_t now) = 0;
  virtual base::Status allow(GreylistAllow kind, std::string_view key, int64_t until) = 0;
  virtual base::Result<int64_t> expire(int64_t triplets_before, int64_t now) = 0;
};

}  // namespace posthouse::store
