// Content-Transfer-Encoding decoding for FETCH BINARY[] (RFC 3516): the part's content as
// the sender's original octets.
//
// Contract: pure and bounded (output never longer than input); thread-safe.
// decode_cte() knows 7bit, 8bit, binary (identity), base64 (characters outside the alphabet
// are skipped, RFC 2045 6.8) and quoted-printable (soft line breaks removed, invalid escapes
// kept literally, RFC 2045 6.7 note 1); any other encoding is kInvalid (the caller answers
// NO [UNKNOWN-CTE]).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"

namespace posthouse::mime {

base::Result<std::string> decode_cte(std::string_view encoding, std::string_view data);

// The same decoding in slices, for parts streamed from the blob: feed() each slice in order
// (last = true for the final one) and the concatenated output equals decode_cte() of the
// whole. Holds at most 2 bytes between slices.
class CteDecoder {
 public:
  static base::Result<CteDecoder> make(std::string_view encoding);
  void feed(std::string_view in, bool last, std::string& out);

 private:
  enum class Kind { kIdentity, kBase64, kQp };
  Kind kind_ = Kind::kIdentity;
  uint32_t acc_ = 0;
  int bits_ = 0;
  bool done_ = false;  // base64 padding seen
  std::string carry_;  // quoted-printable escape split across slices
};

}  // namespace posthouse::mime
