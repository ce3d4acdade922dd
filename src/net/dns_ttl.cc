#include "net/dns_ttl.h"

#include <algorithm>

namespace posthouse::net {

namespace {

constexpr std::size_t kHeaderBytes = 12;
constexpr std::size_t kMaxNameBytes = 255;  // RFC 1035 section 3.1, in wire form
constexpr uint16_t kTypeSoa = 6;

// A cursor over [0, end) of the message; every read checks the bounds and a failed one leaves
// the reader failed for good.
class Reader {
 public:
  Reader(const unsigned char* msg, std::size_t end) : msg_(msg), end_(end) {}

  bool ok() const { return ok_; }
  std::size_t pos() const { return pos_; }

  uint16_t u16() {
    if (!need(2)) return 0;
    uint16_t v = static_cast<uint16_t>((msg_[pos_] << 8) | msg_[pos_ + 1]);
    pos_ += 2;
    return v;
  }

  uint32_t u32() {
    uint32_t hi = u16();
    uint32_t lo = u16();
    return (hi << 16) | lo;
  }

  void skip(std::size_t n) {
    if (need(n)) pos_ += n;
  }

  // Skips a name: labels up to the root label or a compression pointer (which ends the name
  // and must point before itself: pointers are never followed, so loops cannot be).
  void skip_name() {
    std::size_t wire = 0;
    while (ok_) {
      if (!need(1)) return;
      unsigned char len = msg_[pos_];
      if ((len & 0xc0) == 0xc0) {
        std::size_t at = pos_;
        std::size_t target = u16() & 0x3fff;
        if (ok_ && target >= at) ok_ = false;
        return;
      }
      if ((len & 0xc0) != 0) {  // 01 and 10: extended and reserved label types
        ok_ = false;
        return;
      }
      wire += len + 1u;
      if (wire > kMaxNameBytes) {
        ok_ = false;
        return;
      }
      skip(len + 1u);
      if (len == 0) return;
    }
  }

 private:
  bool need(std::size_t n) {
    if (ok_ && end_ - pos_ < n) ok_ = false;
    return ok_;
  }

  const unsigned char* msg_;
  std::size_t end_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

uint32_t rfc2181(uint32_t ttl) { return ttl > 0x7fffffffu ? 0 : ttl; }

struct Record {
  uint16_t type = 0;
  uint32_t ttl = 0;
  std::size_t rdata = 0;  // offset of the RDATA
  std::size_t rdlength = 0;
};

Record read_record(Reader& r) {
  Record rec;
  r.skip_name();
  rec.type = r.u16();
  r.u16();  // class
  rec.ttl = rfc2181(r.u32());
  rec.rdlength = r.u16();
  rec.rdata = r.pos();
  r.skip(rec.rdlength);
  return rec;
}

// min(TTL, MINIMUM) of a SOA record, or nullopt when its RDATA is not MNAME RNAME and five
// 32-bit numbers, exactly.
std::optional<uint32_t> soa_negative_ttl(const unsigned char* msg, const Record& soa) {
  Reader r(msg, soa.rdata + soa.rdlength);
  r.skip(soa.rdata);
  r.skip_name();  // MNAME
  r.skip_name();  // RNAME
  r.skip(16);     // SERIAL, REFRESH, RETRY, EXPIRE
  uint32_t minimum = rfc2181(r.u32());
  if (!r.ok() || r.pos() != soa.rdata + soa.rdlength) return std::nullopt;
  return std::min(soa.ttl, minimum);
}

}  // namespace

std::optional<DnsTtls> parse_dns_ttls(const unsigned char* msg, std::size_t len) {
  if (msg == nullptr || len < kHeaderBytes) return std::nullopt;
  Reader r(msg, len);
  r.skip(4);  // ID, flags
  uint16_t qdcount = r.u16();
  uint16_t ancount = r.u16();
  uint16_t nscount = r.u16();
  r.skip(2);  // ARCOUNT
  for (uint16_t i = 0; i < qdcount && r.ok(); ++i) {
    r.skip_name();
    r.skip(4);  // QTYPE, QCLASS
  }
  DnsTtls out;
  for (uint16_t i = 0; i < ancount && r.ok(); ++i) {
    Record rec = read_record(r);
    if (r.ok()) out.answer = std::min(out.answer.value_or(rec.ttl), rec.ttl);
  }
  for (uint16_t i = 0; i < nscount && r.ok(); ++i) {
    Record rec = read_record(r);
    if (!r.ok() || rec.type != kTypeSoa || out.negative) continue;
    out.negative = soa_negative_ttl(msg, rec);
    if (!out.negative) return std::nullopt;
  }
  if (!r.ok()) return std::nullopt;
  return out;
}

uint32_t dns_answer_ttl(const unsigned char* msg, std::size_t len, DnsStatus status) {
  if (status == DnsStatus::kTemporary) return 0;
  auto ttls = parse_dns_ttls(msg, len);
  if (!ttls) return 0;
  if (status == DnsStatus::kOk) return ttls->answer.value_or(0);
  return ttls->negative.value_or(0);
}

}  // namespace posthouse::net
