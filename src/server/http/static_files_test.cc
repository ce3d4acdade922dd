#include "server/http/static_files.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace posthouse::http {
namespace {

namespace fs = std::filesystem;

class StaticFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = fs::temp_directory_path() /
            ("ph_static_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(base_);
    root_ = base_ / "dist";
    fs::create_directories(root_ / "assets");
    write(root_ / "index.html", "<!doctype html><title>panel</title>");
    write(root_ / "assets" / "index-abc123.js", "console.log(1)");
    write(root_ / "assets" / "index-abc123.css", "body{}");
    write(root_ / "favicon.svg", "<svg/>");
    write(root_ / ".hidden", "secret");
    write(base_ / "outside.txt", "outside");
  }
  void TearDown() override { fs::remove_all(base_); }
  static void write(const fs::path& p, const std::string& s) { std::ofstream(p) << s; }

  fs::path base_, root_;
};

TEST_F(StaticFilesTest, ServesIndexForRootAndClientRoutes) {
  StaticFiles files(root_.string());
  for (const char* p : {"/", "/index.html", "/domains", "/domains/acme.example/mailboxes",
                        "/users/", "/mailboxes/a@b.example"}) {
    auto f = files.get(p);
    ASSERT_TRUE(f.ok()) << p;
    EXPECT_EQ(f->body, "<!doctype html><title>panel</title>") << p;
    EXPECT_EQ(f->content_type, "text/html; charset=utf-8");
    EXPECT_EQ(f->cache_control, "no-cache");
  }
}

TEST_F(StaticFilesTest, HashedAssetsAreImmutableWithTheirType) {
  StaticFiles files(root_.string());
  auto js = files.get("/assets/index-abc123.js");
  ASSERT_TRUE(js.ok());
  EXPECT_EQ(js->body, "console.log(1)");
  EXPECT_EQ(js->content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(js->cache_control, "public, max-age=31536000, immutable");
  auto css = files.get("/assets/index-abc123.css");
  ASSERT_TRUE(css.ok());
  EXPECT_EQ(css->content_type, "text/css; charset=utf-8");
  auto svg = files.get("/favicon.svg");
  ASSERT_TRUE(svg.ok());
  EXPECT_EQ(svg->content_type, "image/svg+xml");
  EXPECT_EQ(svg->cache_control, "no-cache");
}

TEST_F(StaticFilesTest, MissingAssetsAre404NotIndex) {
  StaticFiles files(root_.string());
  for (const char* p : {"/assets/missing.js", "/assets/x", "/missing.css", "/robots.txt"}) {
    auto f = files.get(p);
    ASSERT_FALSE(f.ok()) << p;
    EXPECT_EQ(f.error().code, base::Errc::kNotFound) << p;
  }
}

TEST_F(StaticFilesTest, RefusesTraversalHiddenFilesAndApiPaths) {
  StaticFiles files(root_.string());
  for (const char* p : {"/../outside.txt", "/assets/../../outside.txt", "/.hidden", "/./index.html",
                        "/assets/..", "/a\\..\\outside.txt", "//etc/passwd", "/api/v1/nothing",
                        "/api", "relative"}) {
    auto f = files.get(p);
    ASSERT_FALSE(f.ok()) << p;
    EXPECT_EQ(f.error().code, base::Errc::kNotFound) << p;
  }
}

TEST_F(StaticFilesTest, NeverFollowsSymlinksOutOfTheRoot) {
  fs::create_symlink(base_ / "outside.txt", root_ / "link.txt");
  fs::create_symlink(base_, root_ / "up");
  StaticFiles files(root_.string());
  EXPECT_FALSE(files.get("/link.txt").ok());
  EXPECT_FALSE(files.get("/up/outside.txt").ok());
}

TEST_F(StaticFilesTest, UnbuiltPanelIsUnavailable) {
  StaticFiles files((base_ / "nope").string());
  auto f = files.get("/");
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.error().code, base::Errc::kUnavailable);
}

TEST(ContentType, ByExtension) {
  EXPECT_EQ(content_type_for("a.html"), "text/html; charset=utf-8");
  EXPECT_EQ(content_type_for("a.png"), "image/png");
  EXPECT_EQ(content_type_for("a.woff2"), "font/woff2");
  EXPECT_EQ(content_type_for("a.bin"), "application/octet-stream");
}

}  // namespace
}  // namespace posthouse::http
