#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "wimpu/http/static_files.hpp"

namespace wimpu::http {
namespace {

namespace fs = std::filesystem;

class StaticFilesTest : public ::testing::Test {
protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("wimpu_static_" + std::to_string(std::random_device{}()));
    fs::create_directories(dir_ / "root" / "sub");
    write("root/index.html", "<html>hi</html>");
    write("root/app.js", "console.log(1)");
    write("root/style.css", "body{}");
    write("root/config.json", "{}");
    write("root/sub/index.html", "sub");
    write("secret.txt", "outside");
    fs::create_symlink(dir_ / "secret.txt", dir_ / "root" / "link.txt");
  }
  void TearDown() override { fs::remove_all(dir_); }
  void write(const std::string& rel, const std::string& content) {
    std::ofstream(dir_ / rel) << content;
  }
  Response get(const StaticFiles& s, const std::string& target, std::string inm = {}) {
    Request req{Verb::get, target, 11};
    if (!inm.empty()) {
      req.set(Field::if_none_match, inm);
    }
    return s.serve(req);
  }
  fs::path dir_;
};

TEST_F(StaticFilesTest, ContentTypesAndIndex) {
  StaticFiles s(dir_ / "root");
  auto res = get(s, "/");
  EXPECT_EQ(res.result(), Status::ok);
  EXPECT_EQ(res.body(), "<html>hi</html>");
  EXPECT_EQ(res[Field::content_type], "text/html; charset=utf-8");
  EXPECT_EQ(get(s, "/app.js")[Field::content_type], "text/javascript; charset=utf-8");
  EXPECT_EQ(get(s, "/style.css")[Field::content_type], "text/css; charset=utf-8");
  EXPECT_EQ(get(s, "/config.json?x=1")[Field::content_type], "application/json");
  EXPECT_EQ(get(s, "/sub/").body(), "sub");
  EXPECT_EQ(StaticFiles::content_type("x.bin"), "application/octet-stream");
}

TEST_F(StaticFilesTest, ETagGives304AndCacheControl) {
  StaticFiles s(dir_ / "root");
  auto res = get(s, "/app.js");
  const std::string etag(res[Field::etag]);
  ASSERT_FALSE(etag.empty());
  EXPECT_EQ(res[Field::cache_control], "no-cache");
  auto again = get(s, "/app.js", etag);
  EXPECT_EQ(again.result(), Status::not_modified);
  EXPECT_TRUE(again.body().empty());
  EXPECT_EQ(get(s, "/app.js", "\"other\"").result(), Status::ok);
}

TEST_F(StaticFilesTest, NoWayOutOfTheRoot) {
  StaticFiles s(dir_ / "root");
  for (const char* t : {"/../secret.txt", "/sub/../../secret.txt", "/%2e%2e/secret.txt",
                        "/link.txt", "//etc/passwd", "/sub\\..\\x", "/missing.js", "/sub"}) {
    EXPECT_EQ(get(s, t).result(), Status::not_found) << t;
  }
}

}  // namespace
}  // namespace wimpu::http
