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

std::optional<store::AppendItem> append_item(Session& s, const codec::Command& c,
                                             const codec::AppendMessage& m) {
  if (m.utf8 && !s.utf8_) {
    s.bad(c, "UTF8 APPEND needs ENABLE UTF8=ACCEPT");
    return std::nullopt;
  }
  if (m.message.value.size() > s.o_.append_limit) {
    s.no(c, "Message too large", "TOOBIG");
    return std::nullopt;
  }
  auto flags = Session::parse_flags(m.flags);
  if (!flags) {
    s.fail(c, flags.error());
    return std::nullopt;
  }
  store::AppendItem it;
  it.raw.assign(m.message.value);
  it.internaldate = m.date ? to_epoch(*m.date) : 0;
  it.flags = std::move(*flags);
  return it;
}

// APPEND is acknowledged only once the message is durable (the store's group commit), with
// APPENDUID (RFC 4315); quota refusals are NO [OVERQUOTA] (RFC 9208). MULTIAPPEND (RFC 3502):
// several messages in one command are appended in one transaction, all or none, and
// APPENDUID names their UIDs as a set.
PH_IMAP_HANDLER(cmd_append) {
  const auto& a = std::get<codec::Append>(c.args);
  std::vector<store::AppendItem> items;
  for (const auto& m : a.messages) {
    auto it = append_item(s, c, m);
    if (!it) co_return;
    items.push_back(std::move(*it));
  }
  auto name = s.store_name_or_fail(c, a.mailbox);
  if (!name) co_return;
  auto& mail = s.srv_.mail();
  auto mb = s.mailbox_;
  if (items.size() == 1) {
    auto r = co_await s.blocking([&]() -> base::Result<store::Appended> {
      auto f = PH_TRY(s.target_folder(*name));
      auto& it = items.front();
      return mail.append(mb, f.id, std::move(it.raw), it.internaldate, std::move(it.flags));
    });
    if (!r) {
      s.fail(c, r.error());
      co_return;
    }
    s.ok(c, "APPEND completed", fmt::format("APPENDUID {} {}", r->uidvalidity, r->uid));
    co_return;
  }
  auto r = co_await s.blocking([&]() -> base::Result<store::AppendManyResult> {
    auto f = PH_TRY(s.target_folder(*name));
    return mail.append_many(mb, f.id, std::move(items), std::nullopt);
  });
  if (!r) {
    s.fail(c, r.error());
    co_return;
  }
  std::vector<store::Uid> uids;
  for (const auto& ap : r->appended) uids.push_back(ap.uid);
  codec::SequenceSet set;
  for (const auto& rg : Session::to_uidset(uids)) set.ranges.push_back({rg.first, rg.last});
  s.ok(c, "APPEND completed",
       fmt::format("APPENDUID {} {}", r->appended.front().uidvalidity,
                   codec::format_sequence_set(set)));
}

}  // namespace posthouse::server::imap
