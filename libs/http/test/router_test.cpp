#include <gtest/gtest.h>

#include "wimpu/http/router.hpp"

namespace wimpu::http {
namespace {

Response answer(const Request& req, const RequestInfo&) { return make_response(req, Status::ok); }

TEST(Router, ExactBeforePrefixAndLongestPrefixFirst) {
  Router r;
  r.add(Verb::get, "/api/me", answer);
  r.add_prefix(Verb::get, "/", answer);
  r.add_prefix(Verb::get, "/assets/", answer);
  EXPECT_NE(r.find(Verb::get, "/api/me").route, nullptr);
  EXPECT_NE(r.find(Verb::get, "/anything").route, nullptr);
  EXPECT_NE(r.find(Verb::head, "/assets/x.js").route, nullptr);  // HEAD uses GET.
}

TEST(Router, UnknownMethodOnKnownPathIs405WithAllow) {
  Router r;
  r.add(Verb::post, "/api/login", answer);
  r.add(Verb::options, "/api/login", answer);
  const auto m = r.find(Verb::get, "/api/login");
  EXPECT_EQ(m.route, nullptr);
  EXPECT_TRUE(m.path_known);
  EXPECT_NE(m.allow.find("POST"), std::string::npos);
  EXPECT_NE(m.allow.find("OPTIONS"), std::string::npos);
  const auto none = r.find(Verb::get, "/nope");
  EXPECT_EQ(none.route, nullptr);
  EXPECT_FALSE(none.path_known);
}

TEST(Router, TargetPathDropsQueryAndFragment) {
  EXPECT_EQ(target_path("/a/b?x=1"), "/a/b");
  EXPECT_EQ(target_path("/a#f"), "/a");
  EXPECT_EQ(target_path("/"), "/");
}

}  // namespace
}  // namespace wimpu::http
