#include "antispam/sender_checks.h"

#include <fmt/format.h>

#include <random>

namespace posthouse::antispam {

MessageAuth SenderChecks::check(MessageAuthInput in, std::string_view message) const {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  in.receiver = receiver_;
  in.dmarc_sample = std::uniform_real_distribution<double>(0.0, 100.0)(rng);
  in.arc_trusted_sealers = &arc_trusted_;
  MessageAuth a = authenticate_message(*dns_, psl_, in, message);
  if (reports_) {
    if (auto row = report_row(in, a)) reports_->add(*row, in.now);
  }
  return a;
}

std::string SenderChecks::field(const MessageAuthInput& in, const MessageAuth& a,
                                const std::vector<std::string>& extra) const {
  std::string f = authentication_results_field(authserv_id_, in, a);
  if (extra.empty()) return f;
  f.resize(f.size() - 2);  // the field's final CRLF
  for (const auto& e : extra) f += fmt::format(";\r\n\t{}", e);
  return f + "\r\n";
}

std::string SenderChecks::results(const MessageAuthInput& in, const MessageAuth& a,
                                  const std::vector<std::string>& extra) const {
  std::string r = authentication_results(in, a);
  for (const auto& e : extra) r += "; " + e;
  return r;
}

std::string SenderChecks::field_of(const std::vector<std::string>& extra) const {
  if (extra.empty()) return {};
  std::string f = fmt::format("Authentication-Results: {}", authserv_id_);
  for (const auto& e : extra) f += fmt::format(";\r\n\t{}", e);
  return f + "\r\n";
}

bool SenderChecks::has_lists(bool domain) const {
  for (const auto& l : lists_)
    if (l.domain == domain) return true;
  return false;
}

}  // namespace posthouse::antispam
