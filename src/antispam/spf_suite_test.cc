// The openspf.org RFC 7208 test suite, every scenario, with the DNS answers from its YAML
// (read in place from ../shared/suites/spf/ beside the repo, converted to JSON by
// tests/suites/spf_suite_to_json.py). A missing suite fails: it is part of what CI runs.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "antispam/spf_check.h"
#include "antispam/test_dns.h"
#include "antispam/test_suite.h"

namespace posthouse::antispam {
namespace {

namespace fs = std::filesystem;

testing::FakeDns zone_of(const nlohmann::json& zone) {
  testing::FakeDns dns;
  for (const auto& [name, entries] : zone.items()) {
    dns.touch(name);
    for (const auto& e : entries) {
      std::string type = e["type"];
      std::string value;
      if (type == "TXT") {
        for (const auto& s : e["value"]) value += s.get<std::string>();
      } else if (e.contains("value")) {
        value = e["value"].get<std::string>();
      }
      dns.add(name, type, value);
    }
  }
  return dns;
}

TEST(SpfSuite, EveryOpenSpfScenarioPasses) {
  std::string path = testing::suite_path("POSTHOUSE_SPF_SUITE", "spf/rfc7208-tests.yml");
  ASSERT_TRUE(fs::exists(path))
      << "SPF test suite not found at " << path
      << " (set POSTHOUSE_SPF_SUITE, or check out ../shared/suites beside the repo)";
  std::string error;
  std::string text = testing::convert_suite("spf_suite_to_json.py", path, error);
  ASSERT_TRUE(error.empty()) << error;
  auto suite = nlohmann::json::parse(text);
  int run = 0, passed = 0;
  for (const auto& section : suite["sections"]) {
    testing::FakeDns dns = zone_of(section["zone"]);
    for (const auto& t : section["tests"]) {
      std::string name = t["name"];
      SCOPED_TRACE(section["description"].get<std::string>() + " / " + name);
      SpfRequest req;
      req.ip = t["host"];
      req.mail_from = t["mailfrom"];
      req.helo = t["helo"];
      SpfVerdict v = check_mail_from(dns, req);
      ++run;
      std::string got(spf_result_name(v.result));
      bool ok = false;
      std::string wanted;
      for (const auto& r : t["results"]) {
        wanted += (wanted.empty() ? "" : "|") + r.get<std::string>();
        ok |= r.get<std::string>() == got;
      }
      EXPECT_TRUE(ok) << name << ": got " << got << " (" << v.problem << "), want " << wanted;
      if (t.contains("explanation") && ok && got == "fail") {
        std::string want = t["explanation"];
        // "DEFAULT": the deciding record gave no usable explanation. The suite writes the
        // nibbles of one expected ip6.arpa name in upper case (RFC 7208 7.4 uses lower case),
        // so the text is compared without regard to case.
        bool exp_ok =
            want == "DEFAULT" ? v.explanation.empty() : base::iequals(v.explanation, want);
        EXPECT_TRUE(exp_ok) << name << ": explanation \"" << v.explanation << "\", want \"" << want
                            << "\"";
        ok = exp_ok;
      }
      passed += ok;
    }
  }
  std::printf("SPF suite %s: %d scenarios run, %d passed\n", path.c_str(), run, passed);
  // The 2014.04 release has 203; fewer means the converter or the file lost some.
  EXPECT_GE(run, 200);
}

}  // namespace
}  // namespace posthouse::antispam
