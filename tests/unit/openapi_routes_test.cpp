// docs/openapi.json is the API's contract: the server serves exactly the routes it lists
// (compared with the router the server really builds, both directions), the binary embeds
// the very same bytes, and each operation declares the auth answers its route can give.
#include <gtest/gtest.h>

#include <boost/asio/thread_pool.hpp>
#include <nlohmann/json.hpp>

#include <fstream>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "http/api_routes.hpp"
#include "http/embedded_assets.hpp"
#include "metrics/registry.hpp"
#include "service/learning_service.hpp"
#include "store/group_writer.hpp"
#include "store/open_store.hpp"

namespace agentlearn {
namespace {

using nlohmann::json;

const std::set<std::string> kMethods = {"get", "put", "post", "delete", "options", "head", "patch", "trace"};

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The real router over a real service on an in-memory store.
class OpenApiRoutes : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto store = open_store("sqlite::memory:");
    ASSERT_TRUE(store.ok()) << store.status().message();
    store_ = std::move(*store).release();
    ASSERT_TRUE(store_->migrate().ok());
    auto writer = store_->executions().open_writer();
    ASSERT_TRUE(writer.ok()) << writer.status().message();
    writer_ = new GroupWriter(std::move(*writer));
    registry_ = new metrics::Registry();
    service_ = new LearningService(*store_, *writer_, *registry_);
    pool_ = new boost::asio::thread_pool(1);
    router_ = new http::Router(http::build_api_router({*service_, *registry_, *pool_, *pool_, {}}));

    const std::string text = read_file(AGENTLEARN_SOURCE_DIR "/docs/openapi.json");
    doc_ = new json(json::parse(text, nullptr, /*allow_exceptions=*/false));
  }

  static void TearDownTestSuite() {
    delete router_;
    if (pool_) pool_->join();
    delete pool_;
    delete service_;
    if (writer_) writer_->stop();
    delete writer_;
    delete registry_;
    delete store_;
    delete doc_;
  }

  static const json& doc() { return *doc_; }

  // (method, path) -> route, as the server has them.
  static std::map<std::pair<std::string, std::string>, const http::Route*> server_routes() {
    std::map<std::pair<std::string, std::string>, const http::Route*> out;
    for (const http::Route& r : router_->routes()) {
      out[{lower(std::string(http::beast_http::to_string(r.method))), r.pattern}] = &r;
    }
    return out;
  }

  // (method, path) -> operation, as the document lists them.
  static std::map<std::pair<std::string, std::string>, json> documented_operations() {
    std::map<std::pair<std::string, std::string>, json> out;
    for (auto& [path, item] : doc()["paths"].items()) {
      for (auto& [method, op] : item.items()) {
        if (kMethods.count(method)) out[{method, path}] = op;
      }
    }
    return out;
  }

  static inline Store* store_ = nullptr;
  static inline GroupWriter* writer_ = nullptr;
  static inline metrics::Registry* registry_ = nullptr;
  static inline LearningService* service_ = nullptr;
  static inline boost::asio::thread_pool* pool_ = nullptr;
  static inline http::Router* router_ = nullptr;
  static inline json* doc_ = nullptr;
};

TEST_F(OpenApiRoutes, DocumentIsOpenApi3Json) {
  ASSERT_FALSE(doc().is_discarded()) << "docs/openapi.json is not valid JSON";
  ASSERT_TRUE(doc().is_object());
  ASSERT_TRUE(doc().contains("openapi"));
  EXPECT_EQ(doc()["openapi"].get<std::string>().rfind("3.", 0), 0u);
  ASSERT_TRUE(doc().contains("info"));
  EXPECT_EQ(doc()["info"]["version"], AGENTLEARN_VERSION);
  ASSERT_TRUE(doc().contains("paths"));
  EXPECT_FALSE(doc()["paths"].empty());
}

TEST_F(OpenApiRoutes, EmbeddedCopyIsIdenticalToTheFile) {
  auto embedded = embedded_asset("openapi.json");
  ASSERT_TRUE(embedded) << "openapi.json is not embedded";
  const std::string file = read_file(AGENTLEARN_SOURCE_DIR "/docs/openapi.json");
  ASSERT_FALSE(file.empty());
  EXPECT_EQ(embedded->size(), file.size());
  EXPECT_TRUE(*embedded == file) << "the embedded copy differs from docs/openapi.json; rebuild";
  EXPECT_FALSE(embedded_asset("no-such-asset.json"));
}

TEST_F(OpenApiRoutes, EveryServerRouteIsDocumented) {
  ASSERT_FALSE(doc().is_discarded());
  auto documented = documented_operations();
  for (auto& [key, route] : server_routes()) {
    EXPECT_TRUE(documented.count(key)) << key.first << " " << key.second << " is served but not in docs/openapi.json";
  }
}

TEST_F(OpenApiRoutes, EveryDocumentedOperationIsServed) {
  ASSERT_FALSE(doc().is_discarded());
  auto served = server_routes();
  for (auto& [key, op] : documented_operations()) {
    EXPECT_TRUE(served.count(key)) << key.first << " " << key.second << " is documented but the server has no route";
  }
  EXPECT_EQ(served.size(), documented_operations().size());
  EXPECT_EQ(served.size(), router_->routes().size()) << "a (method, path) is registered twice";
}

TEST_F(OpenApiRoutes, OperationsDeclareTheAnswersOfTheirRole) {
  ASSERT_FALSE(doc().is_discarded());
  const bool global_security = doc().contains("security") && !doc()["security"].empty();
  auto documented = documented_operations();
  for (auto& [key, route] : server_routes()) {
    if (!documented.count(key)) continue;  // reported by EveryServerRouteIsDocumented
    const json& op = documented[key];
    const std::string name = key.first + " " + key.second;
    ASSERT_TRUE(op.contains("responses")) << name;
    const json& responses = op["responses"];
    EXPECT_TRUE(responses.contains("500")) << name << ": every route can fail with a logged internal error";
    bool has_success = false;
    // A redirect's answer (GET /) is its 3xx.
    for (auto& [code, r] : responses.items()) has_success |= code.size() == 3 && (code[0] == '2' || code[0] == '3');
    EXPECT_TRUE(has_success) << name << " declares no 2xx (or redirect) answer";

    if (route->options.role == http::Role::kNone) {
      EXPECT_TRUE(op.contains("security") && op["security"].is_array() && op["security"].empty())
          << name << " needs no token, so it must say \"security\": []";
      EXPECT_FALSE(responses.contains("401")) << name << " needs no token";
      EXPECT_FALSE(responses.contains("403")) << name << " needs no token";
    } else {
      EXPECT_TRUE(responses.contains("401")) << name << " needs a token: declare 401";
      EXPECT_TRUE(responses.contains("403")) << name << " needs a role: declare 403";
      const bool secured = op.contains("security") ? !op["security"].empty() : global_security;
      EXPECT_TRUE(secured) << name << " needs a token but the document marks it open";
    }
    if (key.first == "post" || key.first == "put" || key.first == "patch") {
      EXPECT_TRUE(responses.contains("400")) << name;
      EXPECT_TRUE(responses.contains("413")) << name << " takes a body, which has a size limit";
      EXPECT_TRUE(responses.contains("415")) << name << " takes a JSON body";
    }
  }
}

TEST_F(OpenApiRoutes, PathParametersAreDeclared) {
  ASSERT_FALSE(doc().is_discarded());
  const std::regex param(R"(\{([^}]+)\})");
  for (auto& [path, item] : doc()["paths"].items()) {
    for (auto& [method, op] : item.items()) {
      if (!kMethods.count(method)) continue;
      for (auto it = std::sregex_iterator(path.begin(), path.end(), param); it != std::sregex_iterator(); ++it) {
        const std::string name = (*it)[1];
        bool declared = false;
        for (const json* params : {&item, &op}) {
          if (!params->contains("parameters")) continue;
          for (const json& p : (*params)["parameters"]) {
            declared |= p.value("in", "") == "path" && p.value("name", "") == name && p.value("required", false);
          }
        }
        EXPECT_TRUE(declared) << method << " " << path << " does not declare the required path parameter " << name;
      }
    }
  }
}

TEST_F(OpenApiRoutes, OperationIdsAreUnique) {
  ASSERT_FALSE(doc().is_discarded());
  std::set<std::string> ids;
  for (auto& [key, op] : documented_operations()) {
    ASSERT_TRUE(op.contains("operationId")) << key.first << " " << key.second;
    EXPECT_TRUE(ids.insert(op["operationId"].get<std::string>()).second) << op["operationId"];
  }
}

// Every "$ref": "#/..." points at something that exists.
void check_refs(const json& root, const json& node, const std::string& where) {
  if (node.is_object()) {
    for (auto& [k, v] : node.items()) {
      if (k == "$ref" && v.is_string()) {
        const std::string ref = v.get<std::string>();
        ASSERT_EQ(ref.rfind("#/", 0), 0u) << where << ": only local references are expected: " << ref;
        const json::json_pointer pointer(ref.substr(1));
        EXPECT_TRUE(root.contains(pointer)) << where << ": dangling $ref " << ref;
      } else {
        check_refs(root, v, where + "/" + k);
      }
    }
  } else if (node.is_array()) {
    for (size_t i = 0; i < node.size(); ++i) check_refs(root, node[i], where + "/" + std::to_string(i));
  }
}

TEST_F(OpenApiRoutes, EveryReferenceResolves) {
  ASSERT_FALSE(doc().is_discarded());
  check_refs(doc(), doc(), "");
}

}  // namespace
}  // namespace agentlearn
