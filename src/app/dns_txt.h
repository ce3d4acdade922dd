// The antispam checks' DNS seam (antispam/txt_lookup.h) over the c-ares resolver of the
// outbound queue (queue/resolver.h). Here, in the composition root, because antispam/ and
// queue/ are peers that may not include each other (scripts/check-layering).
//
// Contract: blocking like Resolver::txt (call off the I/O threads); thread-safe; the bounds on
// records are Resolver's (kMaxTxtRecords, kMaxTxtBytes).
#pragma once

#include "antispam/txt_lookup.h"
#include "queue/resolver.h"

namespace posthouse::app {

class ResolverTxtLookup : public antispam::TxtLookup {
 public:
  explicit ResolverTxtLookup(queue::ResolverOptions o) : resolver_(std::move(o)) {}
  antispam::TxtAnswer txt(std::string_view name) override;

 private:
  queue::Resolver resolver_;
};

}  // namespace posthouse::app
