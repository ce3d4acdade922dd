// libFuzzer target: REST API request bodies (server/http/json_body.h) and the model's JSON
// readers (directory/json.h) fed from them. Oracles: parse() accepts exactly the JSON objects
// nlohmann accepts; each accessor agrees with the value's JSON type; finish() fails exactly
// when a field was not read, naming it; every error message serialises (as the API's error
// body does) without throwing; model values survive to_json → *_from_json unchanged.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "directory/json.h"
#include "server/http/json_body.h"

using namespace posthouse;
using nlohmann::json;

static void check_error(const base::Error& e) {
  if (e.code != base::Errc::kInvalid) std::abort();
  json j = {{"message", e.message}, {"field", e.field}};
  (void)j.dump(-1, ' ', false, json::error_handler_t::replace);
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto direct = json::parse(in, nullptr, false);
  auto b = http::JsonBody::parse(in);
  if (!b) {
    check_error(b.error());
    if (b.error().field != "body") std::abort();
    if (!direct.is_discarded() && direct.is_object()) std::abort();
    return 0;
  }
  if (direct.is_discarded() || !direct.is_object() || b->raw() != direct) std::abort();

  // Read some fields, by the type the first byte of the key suggests; leave others unread.
  bool unread = false;
  for (auto it = direct.begin(); it != direct.end(); ++it) {
    const std::string& k = it.key();
    const json& v = it.value();
    if (k.find('\0') != std::string::npos) continue;  // unreadable by name: stays unread
    unsigned char sel = k.empty() ? 0 : static_cast<unsigned char>(k[0]);
    bool want_error = false;
    switch (sel % 6) {
      case 0: {
        auto r = b->opt_str(k.c_str());
        want_error = !v.is_null() && !v.is_string();
        if (!r) check_error(r.error());
        else if (r->has_value() != v.is_string()) std::abort();
        if (r.ok() == want_error) std::abort();
        break;
      }
      case 1: {
        auto r = b->opt_int(k.c_str());
        want_error = !v.is_null() && !v.is_number_integer();
        if (!r) check_error(r.error());
        if (r.ok() == want_error) std::abort();
        break;
      }
      case 2: {
        auto r = b->opt_bool(k.c_str());
        want_error = !v.is_null() && !v.is_boolean();
        if (!r) check_error(r.error());
        if (r.ok() == want_error) std::abort();
        break;
      }
      case 3: {
        auto r = b->opt_str_list(k.c_str());
        if (!r) check_error(r.error());
        else if (*r && (*r)->size() != v.size()) std::abort();
        break;
      }
      case 4: {
        auto r = b->opt_json(k.c_str());
        if (!r || (r->has_value() && **r != v)) std::abort();
        // The stored settings columns read back what the API wrote.
        auto s = directory::to_json(directory::services_from_json(v));
        if (directory::to_json(directory::services_from_json(s)) != s) std::abort();
        auto l = directory::to_json(directory::limits_from_json(v));
        if (directory::to_json(directory::limits_from_json(l)) != l) std::abort();
        auto br = directory::to_json(directory::branding_from_json(v));
        if (directory::to_json(directory::branding_from_json(br)) != br) std::abort();
        auto t = directory::to_json(directory::template_settings_from_json(v));
        if (directory::to_json(directory::template_settings_from_json(t)) != t) std::abort();
        break;
      }
      default: unread = true; break;
    }
  }
  // Keys with NUL cannot be read by const char* name: they stay unread.
  for (auto it = direct.begin(); it != direct.end(); ++it) {
    if (it.key().find('\0') != std::string::npos) unread = true;
  }
  auto st = b->finish();
  if (!st) check_error(st.error());
  if (st.ok() == unread) std::abort();
  (void)directory::parse_or_empty(std::string(in));
  return 0;
}
