#include "antispam/sender_checks.h"

#include <random>

namespace posthouse::antispam {

MessageAuth SenderChecks::check(MessageAuthInput in, std::string_view message) const {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  in.receiver = receiver_;
  in.dmarc_sample = std::uniform_real_distribution<double>(0.0, 100.0)(rng);
  return authenticate_message(*dns_, psl_, in, message);
}

}  // namespace posthouse::antispam
