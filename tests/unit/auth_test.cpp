// TokenSet: TOKEN:ROLE parsing and Authorization: Bearer checks, with the role rules
// (admin does everything; ingest cannot read; read cannot ingest).
#include "http/auth.hpp"

#include <gtest/gtest.h>

#include <string>

namespace agentlearn::http {
namespace {

TEST(Roles, ParseAndName) {
  EXPECT_EQ(parse_role("ingest"), Role::kIngest);
  EXPECT_EQ(parse_role("read"), Role::kRead);
  EXPECT_EQ(parse_role("admin"), Role::kAdmin);
  for (const char* bad : {"", "none", "Admin", "READ", "write", " read", "read "}) {
    EXPECT_EQ(parse_role(bad), std::nullopt) << bad;
  }
  for (Role r : {Role::kIngest, Role::kRead, Role::kAdmin}) EXPECT_EQ(parse_role(role_name(r)), r);
  EXPECT_EQ(role_name(Role::kNone), "none");
}

TEST(TokenSetAdd, Valid) {
  TokenSet t;
  EXPECT_TRUE(t.empty());
  EXPECT_TRUE(t.add("s3cret:read").ok());
  EXPECT_TRUE(t.add("ing-tok_1.x~:ingest").ok());
  EXPECT_TRUE(t.add("ADMIN:admin").ok());
  EXPECT_EQ(t.size(), 3u);
  EXPECT_FALSE(t.empty());
}

TEST(TokenSetAdd, TheLastColonSeparatesTheRole) {
  TokenSet t;
  ASSERT_TRUE(t.add("a:b:c:admin").ok());
  EXPECT_TRUE(t.check("Bearer a:b:c", Role::kAdmin).ok());
}

TEST(TokenSetAdd, SameTokenAgainReplacesItsRole) {
  TokenSet t;
  ASSERT_TRUE(t.add("tok:read").ok());
  ASSERT_TRUE(t.add("tok:ingest").ok());
  EXPECT_EQ(t.size(), 1u);
  EXPECT_TRUE(t.check("Bearer tok", Role::kIngest).ok());
  EXPECT_EQ(t.check("Bearer tok", Role::kRead).code(), StatusCode::kPermissionDenied);
}

TEST(TokenSetAdd, Errors) {
  struct Case {
    const char* spec;
    const char* in_message;
  };
  for (const Case& c : {Case{"tok", "TOKEN:ROLE"}, Case{"", "TOKEN:ROLE"}, Case{":read", "TOKEN:ROLE"},
                        Case{"tok:", "unknown role ''"}, Case{"tok:superuser", "unknown role 'superuser'"},
                        Case{"tok:Read", "unknown role 'Read'"}, Case{"to k:read", "printable"},
                        Case{"tok\t:read", "printable"}, Case{"tök:read", "printable"},
                        Case{"tok\x7f:read", "printable"}}) {
    TokenSet t;
    Status st = t.add(c.spec);
    EXPECT_FALSE(st.ok()) << c.spec;
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << c.spec;
    EXPECT_EQ(st.field(), "auth_token") << c.spec;
    EXPECT_NE(st.message().find(c.in_message), std::string::npos) << c.spec << ": " << st.message();
    EXPECT_TRUE(t.empty()) << c.spec;
  }
}

TEST(TokenSetAddList, CommaSeparated) {
  TokenSet t;
  ASSERT_TRUE(t.add_list("a:read,b:ingest,c:admin").ok());
  EXPECT_EQ(t.size(), 3u);
  EXPECT_TRUE(t.check("Bearer b", Role::kIngest).ok());
}

TEST(TokenSetAddList, SpacesAndEmptyItemsAreIgnored) {
  TokenSet t;
  ASSERT_TRUE(t.add_list(" a:read , b:admin ,, ,").ok());
  EXPECT_EQ(t.size(), 2u);
  EXPECT_TRUE(t.check("Bearer a", Role::kRead).ok());
  EXPECT_TRUE(t.check("Bearer b", Role::kAdmin).ok());
  TokenSet empty;
  EXPECT_TRUE(empty.add_list("").ok());
  EXPECT_TRUE(empty.add_list(",").ok());
  EXPECT_TRUE(empty.empty());
}

TEST(TokenSetAddList, AnyBadItemIsAnError) {
  for (const char* list : {"a:read,b", "a:read,b:writer", "a:read,:admin", "bad"}) {
    TokenSet t;
    Status st = t.add_list(list);
    EXPECT_FALSE(st.ok()) << list;
    EXPECT_EQ(st.field(), "auth_token") << list;
  }
}

class TokenCheck : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(tokens.add_list("ingest-tok:ingest,read-tok:read,admin-tok:admin").ok()); }
  TokenSet tokens;
};

TEST_F(TokenCheck, MissingOrMalformedHeaderIsUnauthenticated) {
  for (const char* header : {"", "Bearer", "Bearer ", "Bearerread-tok", "Basic cmVhZC10b2s6", "Token read-tok",
                             "read-tok", " Bearer read-tok", "Bearer\tread-tok"}) {
    Status st = tokens.check(header, Role::kRead);
    EXPECT_EQ(st.code(), StatusCode::kUnauthenticated) << '"' << header << '"';
    EXPECT_FALSE(st.message().empty());
  }
  EXPECT_NE(tokens.check("", Role::kRead).message().find("Bearer"), std::string::npos);
}

TEST_F(TokenCheck, SchemeIsCaseInsensitive) {
  EXPECT_TRUE(tokens.check("Bearer read-tok", Role::kRead).ok());
  EXPECT_TRUE(tokens.check("bearer read-tok", Role::kRead).ok());
  EXPECT_TRUE(tokens.check("BEARER read-tok", Role::kRead).ok());
  EXPECT_TRUE(tokens.check("bEaReR read-tok", Role::kRead).ok());
}

TEST_F(TokenCheck, TokenIsExactAndCaseSensitive) {
  for (const char* header : {"Bearer wrong", "Bearer READ-TOK", "Bearer read-to", "Bearer read-tokk",
                             "Bearer  read-tok", "Bearer read-tok ", "Bearer read-tok:read"}) {
    Status st = tokens.check(header, Role::kRead);
    EXPECT_EQ(st.code(), StatusCode::kUnauthenticated) << '"' << header << '"';
  }
  EXPECT_NE(tokens.check("Bearer wrong", Role::kRead).message().find("not valid"), std::string::npos);
}

TEST_F(TokenCheck, RoleRules) {
  struct Case {
    const char* token;
    Role needed;
    StatusCode expected;
  };
  const Case cases[] = {
      {"admin-tok", Role::kIngest, StatusCode::kOk},
      {"admin-tok", Role::kRead, StatusCode::kOk},
      {"admin-tok", Role::kAdmin, StatusCode::kOk},
      {"admin-tok", Role::kNone, StatusCode::kOk},
      {"ingest-tok", Role::kIngest, StatusCode::kOk},
      {"ingest-tok", Role::kRead, StatusCode::kPermissionDenied},
      {"ingest-tok", Role::kAdmin, StatusCode::kPermissionDenied},
      {"ingest-tok", Role::kNone, StatusCode::kOk},
      {"read-tok", Role::kRead, StatusCode::kOk},
      {"read-tok", Role::kIngest, StatusCode::kPermissionDenied},
      {"read-tok", Role::kAdmin, StatusCode::kPermissionDenied},
      {"read-tok", Role::kNone, StatusCode::kOk},
  };
  for (const Case& c : cases) {
    Status st = tokens.check(std::string("Bearer ") + c.token, c.needed);
    EXPECT_EQ(st.code(), c.expected) << c.token << " needing " << role_name(c.needed) << ": " << st.message();
  }
}

TEST_F(TokenCheck, ForbiddenMessageNamesBothRoles) {
  Status st = tokens.check("Bearer read-tok", Role::kIngest);
  ASSERT_EQ(st.code(), StatusCode::kPermissionDenied);
  EXPECT_NE(st.message().find("'read'"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("'ingest'"), std::string::npos) << st.message();
}

TEST(TokenSetCheck, EmptySetKnowsNoToken) {
  TokenSet t;
  EXPECT_EQ(t.check("Bearer anything", Role::kRead).code(), StatusCode::kUnauthenticated);
}

}  // namespace
}  // namespace agentlearn::http
