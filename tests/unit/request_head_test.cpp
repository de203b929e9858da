#include "http/request_head.hpp"

#include <gtest/gtest.h>

namespace agentlearn::http {
namespace {

using TE = std::vector<std::string_view>;

TEST(RequestHeadTest, OnlyASingleChunkedCodingOnHttp11IsAccepted) {
  EXPECT_FALSE(check_framing(11, {}, false));
  EXPECT_FALSE(check_framing(11, {}, true));
  EXPECT_FALSE(check_framing(11, TE{"chunked"}, false));
  EXPECT_FALSE(check_framing(11, TE{" Chunked "}, false));
  // Each would leave the body's end unknown, or be read two ways by two parsers.
  for (const TE& te : {TE{"identity"}, TE{"gzip"}, TE{"chunked, identity"}, TE{"chunked", "identity"}, TE{""},
                       TE{" , "}, TE{"chunked, chunked"}, TE{"chunked", "chunked"}}) {
    auto r = check_framing(11, te, false);
    ASSERT_TRUE(r) << te.size() << " " << te[0];
    EXPECT_EQ(r->status, 400u) << te[0];
    EXPECT_EQ(r->field, "Transfer-Encoding");
  }
  auto cl = check_framing(11, TE{"chunked"}, true);
  ASSERT_TRUE(cl);
  EXPECT_EQ(cl->status, 400u);
  auto http10 = check_framing(10, TE{"chunked"}, false);
  ASSERT_TRUE(http10);
  EXPECT_EQ(http10->status, 400u);
  // A coding before chunked is well framed but not implemented.
  auto gzip = check_framing(11, TE{"gzip", "chunked"}, false);
  ASSERT_TRUE(gzip);
  EXPECT_EQ(gzip->status, 501u);
  EXPECT_NE(gzip->message.find("gzip"), std::string::npos);
}

TEST(RequestHeadTest, HostOfAuthority) {
  EXPECT_EQ(host_of_authority("Example.COM:8080"), "example.com");
  EXPECT_EQ(host_of_authority("127.0.0.1"), "127.0.0.1");
  EXPECT_EQ(host_of_authority("[::1]:80"), "::1");
  EXPECT_EQ(host_of_authority("localhost:"), "localhost");
  for (const char* bad : {"", ":80", "a b", "a:b", "[::1", "[]:1", "a:1234567", "x/y", "a@b", "[::1]x", "\xff"}) {
    EXPECT_FALSE(host_of_authority(bad)) << bad;
  }
}

TEST(RequestHeadTest, WithoutTokensOnlyThisServersNamesAreAnswered) {
  HostPolicy loopback;
  for (const char* ok : {"localhost", "localhost:8080", "127.0.0.1:18081", "[::1]:8080", "10.1.2.3", "LOCALHOST"}) {
    EXPECT_FALSE(check_host(ok, 11, loopback)) << ok;
  }
  auto rebound = check_host("attacker.example:18081", 11, loopback);
  ASSERT_TRUE(rebound);
  EXPECT_EQ(rebound->status, 403u);
  EXPECT_EQ(rebound->field, "Host");
  HostPolicy named{{"agentlearn.internal"}, true};
  EXPECT_FALSE(check_host("AgentLearn.internal:8080", 11, named));
  EXPECT_TRUE(check_host("attacker.example", 11, named));
  HostPolicy tokens{{}, false};  // tokens set, no allowed_hosts: the token protects
  EXPECT_FALSE(check_host("anything.example", 11, tokens));
  // Malformed or missing is refused whatever the policy (an HTTP/1.0 request may omit it).
  EXPECT_EQ(check_host("a b", 11, tokens)->status, 400u);
  EXPECT_EQ(check_host("", 11, tokens)->status, 400u);
  EXPECT_FALSE(check_host("", 10, loopback));
  HostPolicy any{{"*"}, true};
  EXPECT_FALSE(check_host("whatever.example", 11, any));
}

TEST(RequestHeadTest, StateChangesComeFromThisServerOrAnAllowedOrigin) {
  const std::vector<std::string> none;
  EXPECT_FALSE(check_origin("", "127.0.0.1:8080", none, none));                        // curl, SDKs
  EXPECT_FALSE(check_origin("http://127.0.0.1:8080", "127.0.0.1:8080", none, none));   // the dashboard
  EXPECT_FALSE(check_origin("http://LOCALHOST:8080", "localhost:8080", none, none));
  EXPECT_FALSE(check_origin("https://ui.example", "127.0.0.1:8080", {"https://ui.example"}, none));
  EXPECT_FALSE(check_origin("https://ui.example", "127.0.0.1:8080", {"*"}, none));
  EXPECT_FALSE(check_origin("https://ui.example:444", "127.0.0.1:8080", none, {"ui.example"}));
  for (const char* bad : {"http://attacker.example", "null", "http://127.0.0.1:9999", "file://", "http://"}) {
    auto r = check_origin(bad, "127.0.0.1:8080", none, none);
    ASSERT_TRUE(r) << bad;
    EXPECT_EQ(r->status, 403u);
    EXPECT_EQ(r->field, "Origin");
  }
}

}  // namespace
}  // namespace agentlearn::http
