#include <fmt/format.h>

#include "server/imap/commands/commands.h"
#include "server/imap/session.h"

namespace posthouse::server::imap {

// Days since 1970-01-01 of a civil date (proleptic Gregorian; H. Hinnant's algorithm).
static int64_t days_from_civil(int y, int m, int d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

int64_t civil_days(const codec::Date& d) { return days_from_civil(d.year, d.month, d.day); }

int64_t to_epoch(const codec::DateTime& dt) {
  return days_from_civil(dt.date.year, dt.date.month, dt.date.day) * 86400 + dt.hour * 3600 +
         dt.minute * 60 + dt.second - dt.zone_minutes * 60;
}

// APPEND is acknowledged only once the message is durable (the store's group commit), with
// APPENDUID (RFC 4315); quota refusals are NO [OVERQUOTA] (RFC 9208).
PH_IMAP_HANDLER(cmd_append) {
  const auto& a = std::get<codec::Append>(c.args);
  if (a.utf8 && !s.utf8_) {
    s.bad(c, "UTF8 APPEND needs ENABLE UTF8=ACCEPT");
    co_return;
  }
  if (a.message.value.size() > s.o_.append_limit) {
    s.no(c, "Message too large", "TOOBIG");
    co_return;
  }
  auto name = s.store_name_or_fail(c, a.mailbox);
  if (!name) co_return;
  auto flags = Session::parse_flags(a.flags);
  if (!flags) {
    s.fail(c, flags.error());
    co_return;
  }
  int64_t date = a.date ? to_epoch(*a.date) : 0;
  auto& mail = s.srv_.mail();
  auto mb = s.mailbox_;
  std::string raw(a.message.value);
  auto r = co_await s.blocking([&]() -> base::Result<store::Appended> {
    auto f = PH_TRY(s.target_folder(*name));
    return mail.append(mb, f.id, std::move(raw), date, *flags);
  });
  if (!r) {
    s.fail(c, r.error());
    co_return;
  }
  s.ok(c, "APPEND completed", fmt::format("APPENDUID {} {}", r->uidvalidity, r->uid));
}

}  // namespace posthouse::server::imap
