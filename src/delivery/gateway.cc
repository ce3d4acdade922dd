#include "delivery/gateway.h"

#include <algorithm>
#include <cstring>

namespace posthouse::delivery {

base::Result<std::string> MessageSource::read(std::string_view prefix) const {
  std::string out;
  out.resize(prefix.size() + size());
  if (!prefix.empty()) std::memcpy(out.data(), prefix.data(), prefix.size());
  PH_CHECK(read_at(0, out.data() + prefix.size(), size()));
  return out;
}

base::Result<std::string> MessageSource::head(std::size_t max) const {
  std::string out;
  out.resize(static_cast<std::size_t>(std::min<uint64_t>(max, size())));
  PH_CHECK(read_at(0, out.data(), out.size()));
  return out;
}

base::Status StringSource::read_at(uint64_t offset, char* dst, std::size_t n) const {
  if (offset > bytes_.size() || n > bytes_.size() - offset)
    return base::Error(base::Errc::kInternal, "message read past the end");
  if (n > 0) std::memcpy(dst, bytes_.data() + offset, n);
  return {};
}

}  // namespace posthouse::delivery
