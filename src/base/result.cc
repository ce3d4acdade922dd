#include "base/result.h"

namespace posthouse::base {

std::string_view errc_name(Errc c) {
  switch (c) {
    case Errc::kInvalid: return "invalid";
    case Errc::kNotFound: return "not_found";
    case Errc::kConflict: return "conflict";
    case Errc::kForbidden: return "forbidden";
    case Errc::kUnauthenticated: return "unauthenticated";
    case Errc::kLimit: return "limit_exceeded";
    case Errc::kTooLarge: return "too_large";
    case Errc::kTemporary: return "temporary";
    case Errc::kIo: return "io_error";
    case Errc::kInternal: return "internal";
    case Errc::kUnavailable: return "unavailable";
  }
  return "internal";
}

}  // namespace posthouse::base
