// /api/v1/templates: mailbox templates (privilege profile and settings), versioned.
#include "server/http/api/routes.h"

namespace posthouse::http::api {

namespace {

// name and customer, then the settings read_template_settings() reads.
const Fields& template_fields() {
  static const Fields f = {{"name", "string"},
                           {"customer", "string"},
                           {"quota_bytes", "integer"},
                           {"services", "object"},
                           {"folders", "array"},
                           {"language", "string"},
                           {"autoresponder_text", "string"}};
  return f;
}

base::Result<d::TemplateSettings> read_template_settings(JsonBody& b) {
  d::TemplateSettings s;
  if (auto q = PH_TRY(b.opt_int("quota_bytes"))) s.quota_bytes = *q;
  if (auto sv = PH_TRY(read_services(b, s.services))) s.services = *sv;
  if (auto f = PH_TRY(b.opt_str_list("folders"))) s.folders = *f;
  if (auto l = PH_TRY(b.opt_str("language"))) s.language = *l;
  if (auto t = PH_TRY(b.opt_str("autoresponder_text"))) s.autoresponder_text = *t;
  return s;
}

base::Result<Reply> create_template(Ctx& c) {
  auto* b = PH_TRY(c.body());
  auto name = PH_TRY(b->str("name"));
  auto cust = PH_TRY(b->opt_str("customer")).value_or("");
  auto s = PH_TRY(read_template_settings(*b));
  PH_CHECK(b->finish());
  return created(d::to_json(PH_TRY(c.dir.create_template(c.actor, cust, name, s))));
}

base::Result<Reply> edit_template(Ctx& c) {
  auto* b = PH_TRY(c.body());
  auto cust = PH_TRY(b->opt_str("customer")).value_or(c.query("customer"));
  auto s = PH_TRY(read_template_settings(*b));
  PH_CHECK(b->finish());
  return ok(d::to_json(PH_TRY(c.dir.edit_template(c.actor, cust, c.param("name"), s))));
}

base::Result<Reply> get_version(Ctx& c) {
  int64_t n = PH_TRY(int_param(c, "version", "template version"));
  auto s = PH_TRY(c.dir.get_template_version(c.actor, c.query("customer"), c.param("name"), n));
  return ok({{"name", c.param("name")}, {"version", n}, {"settings", d::to_json(s)}});
}

}  // namespace

std::vector<Entry> template_routes() {
  return {
      {{V::get,
        "/api/v1/templates",
        "Templates the actor may read",
        true,
        {},
        {"customer", "cursor", "limit"}},
       [](Ctx& c) -> base::Result<Reply> {
         return paged(c, to_items(PH_TRY(c.dir.list_templates(c.actor, c.query("customer")))));
       }},
      {{V::post, "/api/v1/templates", "Create a template (customer \"-\": platform-wide)", true,
        template_fields()},
       create_template},
      {{V::put,
        "/api/v1/templates/:name",
        "Edit a template (adds a version)",
        true,
        Fields(template_fields().begin() + 1, template_fields().end()),
        {"customer"}},
       edit_template},
      {{V::get,
        "/api/v1/templates/:name/versions/:version",
        "One version of a template",
        true,
        {},
        {"customer"}},
       get_version},
  };
}

}  // namespace posthouse::http::api
