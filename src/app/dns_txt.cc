#include "app/dns_txt.h"

namespace posthouse::app {

antispam::TxtAnswer ResolverTxtLookup::txt(std::string_view name) {
  using Status = antispam::TxtAnswer::Status;
  auto r = resolver_.txt(name);
  if (r) return {Status::kFound, std::move(*r), {}};
  if (r.error().code == base::Errc::kNotFound) return {Status::kNotFound, {}, r.error().message};
  return {Status::kTempError, {}, r.error().message};
}

}  // namespace posthouse::app
