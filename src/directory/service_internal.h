// Private to directory::Service: the helpers its files (service_*.cc) share. Not a public
// header: nothing outside src/directory/service*.cc includes it.
//
// Contract: pure functions of their arguments (no store, no clock), thread-safe. Validation
// helpers answer kInvalid/kLimit/kTooLarge with the field set, like the service itself.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "directory/model.h"
#include "directory/policy.h"

namespace posthouse::directory {

inline constexpr std::size_t kMaxName = 200;
inline constexpr int64_t kMaxBytes = int64_t{1} << 50;

// The wall clock in Unix seconds (the service's default clock and the bootstrap's).
Time system_now();

// "<what> not found": also the answer for objects outside the actor's scope (invariant 8).
base::Error not_found(std::string_view what);

// "#12" names an object by id; anything else is a name.
std::optional<Id> id_ref(std::string_view ref);

template <class C, class T>
bool contains(const C& c, const T& v) {
  return std::find(c.begin(), c.end(), v) != c.end();
}

inline bool is_deleted(const std::string& status) { return status == "deleted"; }

// Every non-mailbox principal is a kManager target to the policy (see Target).
inline Target manager_target(const Principal& p) {
  return Target::of(Target::Kind::kManager, p.id, p.customer_id);
}

// Each limit between 0 and 2^50 (field: the limit's name).
base::Status check_limits_input(const Limits& l);
// Each limit of `want` must fit under the ceiling. An absent limit fits anywhere: it adds no
// cap at its level, and the levels above still count this level's usage.
base::Status within(const Limits& want, const Limits& ceiling);
// Lowers each limit of *c to l's where l's is tighter.
void tighten(Limits* c, const Limits& l);

base::Status check_login_text(std::string_view login);
// Logins that are addresses are stored normalised (IDNA domain, folded ASCII local part).
std::string normalize_login(std::string_view login);
base::Status check_branding(const Branding& b);

}  // namespace posthouse::directory
