// For the tests that run a public suite read in place beside the repo (../shared/suites/...):
// where it is, and its YAML turned into JSON by a converter script under tests/suites/ (the
// tests have no YAML reader). Test-only; needs POSTHOUSE_SOURCE_DIR from CMakeLists.txt.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#ifndef POSTHOUSE_SOURCE_DIR
#error "POSTHOUSE_SOURCE_DIR is set by CMakeLists.txt for the suite tests"
#endif

namespace posthouse::antispam::testing {

// $`env` when set, else ../shared/suites/`relative` beside the repo.
inline std::string suite_path(const char* env, const std::string& relative) {
  if (const char* p = std::getenv(env); p && *p) return p;
  return (std::filesystem::path(POSTHOUSE_SOURCE_DIR) / ".." / "shared" / "suites" / relative)
      .lexically_normal()
      .string();
}

// Runs `python3 tests/suites/<script> <arg>`; returns its stdout, or "" with `error` set.
inline std::string convert_suite(const std::string& script, const std::string& arg,
                                 std::string& error) {
  std::string path = std::string(POSTHOUSE_SOURCE_DIR) + "/tests/suites/" + script;
  std::string cmd = "python3 '" + path + "' '" + arg + "' 2>&1";
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(cmd.c_str(), "r"), pclose);
  if (!pipe) {
    error = "cannot run " + cmd;
    return {};
  }
  std::string out;
  char buf[65536];
  std::size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe.get())) > 0) out.append(buf, n);
  int rc = pclose(pipe.release());
  if (rc != 0) {
    error = "converter failed (" + cmd + "): " + out;
    return {};
  }
  return out;
}

}  // namespace posthouse::antispam::testing
