// TokenSet: TOKEN:ROLE parsing and Authorization: Bearer checks, with the role rules
// (admin does everything; ingest cannot read; read cannot ingest).
#include "http/auth.hpp"

#include <gtest/gtest.h>

#include <string>

namespace agentlearn::http {
namespace {

bool granted(const std::optional<HttpError>& refusal) { return !refusal; }
// The refusal's code, or nullopt when the token grants the role.
std::optional<HttpErrorCode> code_of(const std::optional<HttpError>& refusal) {
  return refusal ? std::optional(refusal->code) : std::nullopt;
}
std::string message_of(const std::optional<HttpError>& refusal) { return refusal ? refusal->message : ""; }

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
  EXPECT_TRUE(granted(t.check("Bearer a:b:c", Role::kAdmin)));
}

TEST(TokenSetAdd, SameTokenAgainReplacesItsRole) {
  TokenSet t;
  ASSERT_TRUE(t.add("tok:read").ok());
  ASSERT_TRUE(t.add("tok:ingest").ok());
  EXPECT_EQ(t.size(), 1u);
  EXPECT_TRUE(granted(t.check("Bearer tok", Role::kIngest)));
  EXPECT_EQ(code_of(t.check("Bearer tok", Role::kRead)), HttpErrorCode::kPermissionDenied);
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
  EXPECT_TRUE(granted(t.check("Bearer b", Role::kIngest)));
}

TEST(TokenSetAddList, SpacesAndEmptyItemsAreIgnored) {
  TokenSet t;
  ASSERT_TRUE(t.add_list(" a:read , b:admin ,, ,").ok());
  EXPECT_EQ(t.size(), 2u);
  EXPECT_TRUE(granted(t.check("Bearer a", Role::kRead)));
  EXPECT_TRUE(granted(t.check("Bearer b", Role::kAdmin)));
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
    auto refusal = tokens.check(header, Role::kRead);
    EXPECT_EQ(code_of(refusal), HttpErrorCode::kUnauthenticated) << '"' << header << '"';
    EXPECT_FALSE(message_of(refusal).empty());
  }
  EXPECT_NE(message_of(tokens.check("", Role::kRead)).find("Bearer"), std::string::npos);
}

TEST_F(TokenCheck, SchemeIsCaseInsensitive) {
  EXPECT_TRUE(granted(tokens.check("Bearer read-tok", Role::kRead)));
  EXPECT_TRUE(granted(tokens.check("bearer read-tok", Role::kRead)));
  EXPECT_TRUE(granted(tokens.check("BEARER read-tok", Role::kRead)));
  EXPECT_TRUE(granted(tokens.check("bEaReR read-tok", Role::kRead)));
}

TEST_F(TokenCheck, TokenIsExactAndCaseSensitive) {
  for (const char* header : {"Bearer wrong", "Bearer READ-TOK", "Bearer read-to", "Bearer read-tokk",
                             "Bearer  read-tok", "Bearer read-tok ", "Bearer read-tok:read"}) {
    EXPECT_EQ(code_of(tokens.check(header, Role::kRead)), HttpErrorCode::kUnauthenticated) << '"' << header << '"';
  }
  EXPECT_NE(message_of(tokens.check("Bearer wrong", Role::kRead)).find("not valid"), std::string::npos);
}

TEST_F(TokenCheck, RoleRules) {
  struct Case {
    const char* token;
    Role needed;
    std::optional<HttpErrorCode> expected;  // nullopt: granted
  };
  const Case cases[] = {
      {"admin-tok", Role::kIngest, std::nullopt},
      {"admin-tok", Role::kRead, std::nullopt},
      {"admin-tok", Role::kAdmin, std::nullopt},
      {"admin-tok", Role::kNone, std::nullopt},
      {"ingest-tok", Role::kIngest, std::nullopt},
      {"ingest-tok", Role::kRead, HttpErrorCode::kPermissionDenied},
      {"ingest-tok", Role::kAdmin, HttpErrorCode::kPermissionDenied},
      {"ingest-tok", Role::kNone, std::nullopt},
      {"read-tok", Role::kRead, std::nullopt},
      {"read-tok", Role::kIngest, HttpErrorCode::kPermissionDenied},
      {"read-tok", Role::kAdmin, HttpErrorCode::kPermissionDenied},
      {"read-tok", Role::kNone, std::nullopt},
  };
  for (const Case& c : cases) {
    auto refusal = tokens.check(std::string("Bearer ") + c.token, c.needed);
    EXPECT_EQ(code_of(refusal), c.expected) << c.token << " needing " << role_name(c.needed) << ": "
                                            << message_of(refusal);
  }
}

TEST_F(TokenCheck, ForbiddenMessageNamesBothRoles) {
  auto refusal = tokens.check("Bearer read-tok", Role::kIngest);
  ASSERT_EQ(code_of(refusal), HttpErrorCode::kPermissionDenied);
  EXPECT_NE(refusal->message.find("'read'"), std::string::npos) << refusal->message;
  EXPECT_NE(refusal->message.find("'ingest'"), std::string::npos) << refusal->message;
}

TEST(TokenSetCheck, EmptySetKnowsNoToken) {
  TokenSet t;
  EXPECT_EQ(code_of(t.check("Bearer anything", Role::kRead)), HttpErrorCode::kUnauthenticated);
}

}  // namespace
}  // namespace agentlearn::http
