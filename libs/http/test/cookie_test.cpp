#include <gtest/gtest.h>

#include "wimpu/http/cookie.hpp"

namespace wimpu::http {
namespace {

TEST(Cookie, ParsesPairsAndTrimsSpaces) {
  const auto pairs = parse_cookie_header("a=1;  b = two ; c=\"q\"; junk; =x");
  ASSERT_EQ(pairs.size(), 3u);
  EXPECT_EQ(pairs[0].name, "a");
  EXPECT_EQ(pairs[0].value, "1");
  EXPECT_EQ(pairs[1].name, "b");
  EXPECT_EQ(pairs[1].value, "two");
  EXPECT_EQ(pairs[2].value, "q");
  EXPECT_EQ(find_cookie("x=1; sid=abc", "sid").value_or(""), "abc");
  EXPECT_FALSE(find_cookie("x=1", "sid").has_value());
  EXPECT_TRUE(parse_cookie_header("").empty());
}

TEST(Cookie, SerialisesAllAttributes) {
  SetCookie c{"__Host-sid", "abc", "/", 600, true, true, SameSite::kStrict};
  EXPECT_EQ(serialize(c).value_or(""),
            "__Host-sid=abc; Path=/; Max-Age=600; Secure; HttpOnly; SameSite=Strict");
  c.max_age.reset();
  c.secure = false;
  c.http_only = false;
  c.same_site = SameSite::kLax;
  EXPECT_EQ(serialize(c).value_or(""), "__Host-sid=abc; Path=/; SameSite=Lax");
}

TEST(Cookie, RefusesHeaderInjection) {
  const auto cookie = [](std::string name, std::string value, std::string path) {
    SetCookie c;
    c.name = std::move(name);
    c.value = std::move(value);
    c.path = std::move(path);
    return c;
  };
  EXPECT_TRUE(serialize(cookie("a", "x", "/")).has_value());
  EXPECT_FALSE(serialize(cookie("a", "x;Domain=evil", "/")).has_value());
  EXPECT_FALSE(serialize(cookie("a", "x\r\nSet-Cookie: b=1", "/")).has_value());
  EXPECT_FALSE(serialize(cookie("a b", "x", "/")).has_value());
  EXPECT_FALSE(serialize(cookie("", "x", "/")).has_value());
  EXPECT_FALSE(serialize(cookie("a", "x", "/;x")).has_value());
}

}  // namespace
}  // namespace wimpu::http
