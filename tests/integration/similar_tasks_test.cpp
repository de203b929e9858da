// Similar tasks over real HTTP against the real binary, on SQLite, PostgreSQL without pgvector
// (embeddings as real[]) and, where AGENTLEARN_TEST_PGLITE_URL is set, on PGlite's PostgreSQL
// with pgvector (source=database answered by SQL). Exact search over the stored vectors is the
// oracle for the service's HNSW answers.
#include <gtest/gtest.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "http/client.hpp"
#include "index/vector_index.hpp"
#include "ml/model_set.hpp"
#include "eventually.hpp"
#include "server_process.hpp"
#include "store/open_store.hpp"

namespace agentlearn {
namespace {

using boost::beast::http::verb;
using json = nlohmann::json;
using testing::ServerProcess;
using Clock = std::chrono::steady_clock;

// Tasks on three topics, each run by three agents; every text is its own (a task's number
// is in it), so the index holds one vector per task.
json tasks(int first, int count, const std::vector<std::vector<std::string>>& topics, uint64_t seed) {
  std::mt19937_64 rng(seed);
  json records = json::array();
  for (int t = first; t < first + count; ++t) {
    const auto& words = topics[static_cast<size_t>(t) % topics.size()];
    std::string text = "task " + std::to_string(t) + ":";
    for (int w = 0; w < 12; ++w) text += " " + words[rng() % words.size()];
    for (std::string agent : {"alpha", "beta", "gamma"}) {
      records.push_back({{"agent_id", agent},
                         {"task_id", "t-" + std::to_string(t)},
                         {"task_description", text},
                         {"task_type", "topic-" + std::to_string(static_cast<size_t>(t) % topics.size())},
                         {"execution_time", 10 + static_cast<double>(rng() % 50)},
                         {"success", rng() % 2 == 0}});
    }
  }
  return records;
}

const std::vector<std::vector<std::string>> kTopics = {
    {"button", "layout", "css", "render", "page", "widget", "click", "style", "font", "color"},
    {"query", "index", "table", "join", "schema", "migration", "row", "transaction", "vacuum", "lock"},
    {"socket", "timeout", "retry", "packet", "latency", "proxy", "tls", "handshake", "dns", "route"}};
const std::vector<std::vector<std::string>> kNewTopics = {
    {"gradient", "tensor", "epoch", "loss", "batch", "layer", "dropout", "optimizer", "weights", "kernel"},
    {"invoice", "ledger", "refund", "tax", "payment", "balance", "currency", "audit", "receipt", "account"}};

std::string url_encode(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.') {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}


class SimilarTasksTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    db_ = testing::fresh_store_url(GetParam());
    ASSERT_FALSE(db_.empty());
    dir_ = testing::make_temp_dir("similar-tasks");
    config_ = dir_ + "/learning.yaml";
    write_config(true);
    start();
  }
  void write_config(bool similar) {
    std::ofstream(config_) << "check_interval: 3600\n"
                              "min_training_executions: 30\n"
                              "similarity_threshold: 0.3\n"
                              "similarity_index_file: " << dir_ << "/index.hnsw\n"
                           << (similar ? "" : "similar_tasks: false\n")
                           << "models:\n"
                              "  embedding_generator:\n"
                              "    parameters:\n"
                              "      epochs: 100\n"
                              "  agent_selector:\n"
                              "    parameters:\n"
                              "      n_estimators: 20\n";
  }
  void start() {
    server_ = std::make_unique<ServerProcess>(db_, std::vector<std::string>{"--config", config_});
    ASSERT_TRUE(server_->wait_ready()) << server_->log();
    client_ = std::make_unique<HttpClient>(server_->url());
  }
  void restart() {
    EXPECT_EQ(server_->terminate(), 0) << server_->log();
    start();
  }

  ClientResponse get(const std::string& target) {
    auto r = client_->request(verb::get, target, "", "");
    EXPECT_TRUE(r.ok()) << r.status().message();
    return r.ok() ? r.value() : ClientResponse{};
  }
  json ok_json(verb method, const std::string& target, const json& body = nullptr, int status = 200) {
    auto r = client_->request(method, target, body.is_null() ? std::string() : body.dump(), "application/json");
    EXPECT_TRUE(r.ok()) << r.status().message();
    if (!r.ok()) return json();
    EXPECT_EQ(r->status, status) << method << " " << target << ": " << r->body;
    json j = json::parse(r->body, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r->body;
    return j;
  }
  json record(const json& records) {
    return ok_json(verb::post, "/agent/performance/batch", json{{"records", records}}, 201);
  }
  std::string train() {
    json job = ok_json(verb::post, "/learning/train", {{"wait", true}});
    EXPECT_EQ(job.value("status", ""), "succeeded") << job.dump();
    return ok_json(verb::get, "/models/status").value("active_model_set", "");
  }
  // Polls /health until the similar-task index satisfies `pred`.
  json wait_index(const std::function<bool(const json&)>& pred, const std::string& what) {
    json s;
    if (!testing::eventually([&] { return pred(s = ok_json(verb::get, "/health")["similar_tasks"]); })) {
      ADD_FAILURE() << "timed out waiting for " << what << "; last: " << s.dump() << "\n" << server_->log();
    }
    return s;
  }
  json similar(const std::string& query) { return ok_json(verb::get, "/tasks/similar?" + query); }
  void expect_error(const std::string& query, int status, const std::string& field) {
    auto r = get("/tasks/similar?" + query);
    EXPECT_EQ(r.status, status) << query << ": " << r.body;
    json j = json::parse(r.body, nullptr, false);
    ASSERT_TRUE(j.is_object() && j.contains("error")) << query << ": " << r.body;
    EXPECT_EQ(j["error"].value("field", ""), field) << query << ": " << r.body;
  }

  // The oracle: exact search over the vectors the store holds for `version`, one per task
  // (its first embedded run's, as the service indexes them).
  struct Oracle {
    index::ExactIndex exact{256};
    std::map<uint64_t, std::string> task_of;
  };
  std::unique_ptr<Oracle> oracle(const std::string& version) {
    auto store = open_store(db_);
    EXPECT_TRUE(store.ok()) << store.status().message();
    if (!store.ok()) return nullptr;
    EXPECT_TRUE((*store)->migrate().ok());
    auto o = std::make_unique<Oracle>();
    Status st = (*store)->embeddings().scan_embeddings(version, 0, 0, [&](const EmbeddingRecord& r) {
      if (o->task_of.count(r.task_key)) return;
      o->task_of[r.task_key] = r.task_id;
      EXPECT_TRUE(o->exact.add(r.task_key, r.vector).ok());
    });
    EXPECT_TRUE(st.ok()) << st.message();
    return o;
  }
  // The service's answer equals exact search: the same similarities rank by rank (ties may
  // swap ids), and every id it names has the similarity exact search gives it.
  void expect_matches_oracle(const json& results, const std::vector<index::Neighbor>& exact, const Oracle& o,
                             const std::string& what) {
    ASSERT_EQ(results.size(), exact.size()) << what << ": " << results.dump();
    for (size_t i = 0; i < exact.size(); ++i) {
      EXPECT_NEAR(results[i]["similarity"].get<double>(), exact[i].similarity, 1e-4) << what << " rank " << i;
      EXPECT_TRUE(o.task_of.count(task_key(results[i]["task_id"].get<std::string>()))) << what;
    }
  }

  std::string db_, dir_, config_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<HttpClient> client_;
};

TEST_P(SimilarTasksTest, AnswersMatchExactSearchAndFollowNewExecutionsRestartsAndANewEmbedding) {
  // No model set yet: nothing to embed with, and no retry will change that (409, no
  // Retry-After, so clients that honour it do not loop).
  auto none = get("/tasks/similar?q=anything");
  EXPECT_EQ(none.status, 409) << none.body;
  EXPECT_EQ(json::parse(none.body)["error"]["code"], "no_model_set") << none.body;

  json first = tasks(0, 45, kTopics, 1);
  // Runs without a description are stored but never embedded.
  first.push_back({{"agent_id", "alpha"}, {"task_id", "no-text"}, {"execution_time", 3}, {"success", true}});
  record(first);
  const std::string set1 = train();
  ASSERT_FALSE(set1.empty());
  json idx = wait_index([](const json& s) { return s["ready"] && s["indexed_tasks"] == 45; }, "45 tasks indexed");
  const std::string v1 = idx["embedding_version"];
  const json health = ok_json(verb::get, "/health");
  const std::string storage = health["vector_storage"];
  EXPECT_EQ(storage, GetParam() == "sqlite" ? "blob" : GetParam() == "pglite" ? "pgvector" : "real[]");
  EXPECT_GT(idx["memory_bytes"].get<int64_t>(), 0);

  // A stored task as the query: itself left out, the rest as exact search ranks them, each
  // with its runs.
  auto o = oracle(v1);
  ASSERT_TRUE(o);
  ASSERT_EQ(o->task_of.size(), 45u);
  for (int t : {0, 1, 2, 17, 44}) {
    const std::string id = "t-" + std::to_string(t);
    json r = similar("task_id=" + id + "&k=5&min_similarity=-1");
    auto exact = o->exact.search(o->exact.vector(task_key(id)), 6, -1);
    ASSERT_TRUE(exact.ok());
    std::erase_if(*exact, [&](const index::Neighbor& n) { return n.id == task_key(id); });
    exact->resize(5);
    expect_matches_oracle(r["results"], *exact, *o, id);
    EXPECT_EQ(r["source"], "index");
    EXPECT_EQ(r["embedding_version"], v1);
    for (const auto& row : r["results"]) {
      EXPECT_NE(row["task_id"], id);
      EXPECT_EQ(row["total_executions"], 3) << row.dump();
      EXPECT_EQ(row["executions"].size(), 3u) << row.dump();
      EXPECT_NE(row["task_description"].get<std::string>().find("task "), std::string::npos);
      for (const auto& e : row["executions"]) {
        EXPECT_TRUE(e["agent_id"].is_string() && e["success"].is_boolean() && e["execution_time"].is_number());
      }
    }
  }

  // Text as the query: the active set's embedding of it, searched exactly by the oracle.
  {
    auto store = open_store(db_);
    ASSERT_TRUE(store.ok());
    auto blob = (*store)->models().load_model_set(set1);
    ASSERT_TRUE(blob.ok() && blob->has_value());
    auto set = ml::ModelSet::deserialize((*blob)->blob);
    ASSERT_TRUE(set.ok());
    const std::string text = "socket timeout retry proxy tls handshake";
    auto exact = o->exact.search((*set)->embed(text), 4, -1);
    ASSERT_TRUE(exact.ok());
    json r = similar("q=socket%20timeout%20retry%20proxy%20tls%20handshake&k=4&min_similarity=-1");
    expect_matches_oracle(r["results"], *exact, *o, "q");
  }

  // The default floor is similarity_threshold (0.3 here); a higher one keeps fewer.
  json all = similar("task_id=t-3&k=50");
  for (const auto& row : all["results"]) EXPECT_GE(row["similarity"].get<double>(), 0.3);
  json strict = similar("task_id=t-3&k=50&min_similarity=0.99");
  EXPECT_LT(strict["results"].size(), 44u);
  for (size_t i = 1; i < all["results"].size(); ++i) {
    EXPECT_GE(all["results"][i - 1]["similarity"], all["results"][i]["similarity"]);
  }

  // Inference is deterministic per text: a stored task's own text finds it first, at 1.
  // (Doc2Vec on 45 short texts is no judge of meaning; the models issue measured that on the
  // Debian package texts. This test checks the search, against the oracle.)
  const std::string text7 = first[7 * 3]["task_description"];
  json same = ok_json(verb::get, "/tasks/similar?k=1&q=" + url_encode(text7));
  ASSERT_EQ(same["results"].size(), 1u) << same.dump();
  EXPECT_EQ(same["results"][0]["task_id"], "t-7");
  EXPECT_GT(same["results"][0]["similarity"].get<double>(), 0.999);

  // A recommendation lists them and names the nearest in its reasoning.
  json rec = ok_json(verb::post, "/task/recommend", {{"task_description", text7}});
  ASSERT_FALSE(rec["similar_tasks"].empty()) << rec.dump();
  EXPECT_LE(rec["similar_tasks"].size(), 3u);
  EXPECT_EQ(rec["similar_tasks"][0]["task_id"], "t-7");
  EXPECT_EQ(rec["similar_tasks"][0]["executions"].size(), 3u);
  EXPECT_NE(rec["reasoning"].get<std::string>().find("Most similar past task: t-7 (similarity 1.00)"),
            std::string::npos)
      << rec["reasoning"];

  // pgvector answers the same question through SQL; elsewhere it is refused, naming source.
  if (storage == "pgvector") {
    json db = similar("task_id=t-4&k=5&min_similarity=-1&source=database");
    json ix = similar("task_id=t-4&k=5&min_similarity=-1");
    EXPECT_EQ(db["source"], "database");
    ASSERT_EQ(db["results"].size(), 5u) << db.dump();
    std::set<std::string> a, b;
    for (size_t i = 0; i < 5; ++i) {
      a.insert(db["results"][i]["task_id"].get<std::string>());
      b.insert(ix["results"][i]["task_id"].get<std::string>());
      EXPECT_NEAR(db["results"][i]["similarity"].get<double>(), ix["results"][i]["similarity"].get<double>(), 1e-3);
    }
    EXPECT_EQ(a, b);
  } else {
    expect_error("task_id=t-4&source=database", 400, "source");
  }

  // A new execution is embedded after its acknowledgement and becomes searchable.
  record(tasks(100, 1, kTopics, 7));
  wait_index([](const json& s) { return s["indexed_tasks"] == 46; }, "the new task indexed");
  json fresh = similar("task_id=t-100&k=3&min_similarity=-1");
  EXPECT_EQ(fresh["results"].size(), 3u);

  // Another run of a task already answered (its runs are cached) shows up in its next answer
  // as soon as the embedder has seen the run (it drops the task's cached runs then), not only
  // once the cache's 30 s have passed: the answer is read once, right after that event.
  const std::string text1 = first[1 * 3]["task_description"];
  const std::string by_text1 = "k=1&min_similarity=-1&q=" + url_encode(text1);
  ASSERT_EQ(similar(by_text1)["results"][0]["total_executions"], 3);
  json added = record(json::array({{{"agent_id", "delta"}, {"task_id", "t-1"}, {"task_description", text1},
                                    {"execution_time", 5}, {"success", true}}}));
  const int64_t added_id = added["ids"][0];
  wait_index([&](const json& h) { return h["embedded_through_id"].get<int64_t>() >= added_id; },
             "the embedder to see the new run");
  {
    json r = similar(by_text1)["results"][0];
    EXPECT_EQ(r["total_executions"], 4) << r.dump();
    EXPECT_EQ(r["executions"].back()["agent_id"], "delta") << r.dump();
  }

  // A restart loads the saved index (checked against the store) and answers the same.
  json before = similar("task_id=t-5&k=8&min_similarity=-1");
  restart();
  json loaded = wait_index([](const json& s) { return s["ready"].get<bool>(); }, "the index loaded");
  EXPECT_EQ(loaded["last_build_source"], "file") << server_->log();
  EXPECT_EQ(loaded["indexed_tasks"], 46);
  EXPECT_EQ(similar("task_id=t-5&k=8&min_similarity=-1")["results"], before["results"]);

  // Executions stored while no embedder ran: the next start loads the file, then embeds them.
  EXPECT_EQ(server_->terminate(), 0);
  write_config(false);
  start();
  EXPECT_EQ(get("/tasks/similar?q=x").status, 409);
  record(tasks(200, 3, kTopics, 8));
  EXPECT_EQ(server_->terminate(), 0);
  write_config(true);
  start();
  loaded = wait_index([](const json& s) { return s["indexed_tasks"] == 49; }, "catch-up after the file");
  EXPECT_EQ(loaded["last_build_source"], "file");

  // A file that does not match the store (another database's, or stale) is rebuilt.
  EXPECT_EQ(server_->terminate(), 0);
  { std::ofstream(dir_ + "/index.hnsw.meta") << v1 << "\n0\n46\n"; }
  start();
  loaded = wait_index([](const json& s) { return s["indexed_tasks"] == 49; }, "a rebuild from the store");
  EXPECT_EQ(loaded["last_build_source"], "store") << server_->log();

  // Distinct texts grow by more than half: the next set has a new embedding, every stored
  // vector is recomputed, and the new index replaces the old one.
  record(tasks(300, 60, kNewTopics, 9));
  wait_index([](const json& s) { return s["indexed_tasks"] == 109; }, "the new tasks indexed");
  train();
  // The trained-with-wait answer came once the new set serves similar tasks: the very next
  // question (here in a POST body) is answered with the new embedding, never "being built".
  json at_once = ok_json(verb::post, "/tasks/similar",
                         {{"task_id", "t-0"}, {"k", 3}, {"min_similarity", -1}});
  EXPECT_NE(at_once["embedding_version"], v1) << at_once;
  EXPECT_EQ(at_once["results"].size(), 3u) << at_once;
  json rebuilt = wait_index([&](const json& s) { return s["embedding_version"] != v1 && s["indexed_tasks"] == 109; },
                            "the index of the new embedding");
  const std::string v2 = rebuilt["embedding_version"];
  {
    auto store = open_store(db_);
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->migrate().ok());
    size_t left = 0;
    ASSERT_TRUE((*store)->embeddings().scan_unembedded(v2, 0, 0, [&](const TextRow&) { ++left; }).ok());
    EXPECT_EQ(left, 0u) << "every described execution carries the new version";
  }
  auto o2 = oracle(v2);
  ASSERT_TRUE(o2);
  EXPECT_EQ(o2->task_of.size(), 109u);
  json r2 = similar("task_id=t-301&k=5&min_similarity=-1");
  auto exact2 = o2->exact.search(o2->exact.vector(task_key("t-301")), 6, -1);
  ASSERT_TRUE(exact2.ok());
  std::erase_if(*exact2, [&](const index::Neighbor& n) { return n.id == task_key("t-301"); });
  exact2->resize(5);
  expect_matches_oracle(r2["results"], *exact2, *o2, "after the new embedding");
  EXPECT_EQ(r2["embedding_version"], v2);
}

TEST_P(SimilarTasksTest, BadQueriesAreRefusedNamingTheFieldAndTheServerCarriesOn) {
  record(tasks(0, 30, kTopics, 3));
  train();
  wait_index([](const json& s) { return s["indexed_tasks"] == 30; }, "30 tasks indexed");
  const std::string big(9000, 'a');
  const std::vector<std::tuple<std::string, int, std::string>> cases = {
      {"", 400, "q"},
      {"q=", 400, "q"},
      {"task_id=", 400, "task_id"},
      {"q=a&task_id=t-1", 400, "q"},
      {"q=" + big, 400, "q"},
      {"q=%FF%FE", 400, "q"},
      {"task_id=%C3%28", 400, "task_id"},
      {"q=a&k=0", 400, "k"},
      {"q=a&k=1001", 400, "k"},
      {"q=a&k=ten", 400, "k"},
      {"q=a&k=-1", 400, "k"},
      {"q=a&k=99999999999999999999999", 400, "k"},
      {"q=a&min_similarity=2", 400, "min_similarity"},
      {"q=a&min_similarity=nan", 400, "min_similarity"},
      {"q=a&min_similarity=0.5x", 400, "min_similarity"},
      {"q=a&source=elsewhere", 400, "source"},
      {"task_id=never-recorded", 404, "task_id"},
  };
  for (const auto& [query, status, field] : cases) expect_error(query, status, field);
  // Nothing was stored by any of it, and the server still answers.
  EXPECT_EQ(ok_json(verb::get, "/agents/performance")["total_executions"], 90);
  EXPECT_EQ(similar("q=button%20css&k=2&min_similarity=-1")["results"].size(), 2u);
  // A text of unknown words is a valid question: no past task is like it at any floor, and
  // the answer says why rather than leaving an empty list to be guessed at.
  json unknown = similar("q=%E6%97%A5%E6%9C%AC%E8%AA%9E&min_similarity=-1");
  EXPECT_TRUE(unknown["results"].is_array() && unknown["results"].empty()) << unknown.dump();
  EXPECT_NE(unknown.value("note", "").find("shares no word"), std::string::npos) << unknown.dump();
  EXPECT_FALSE(similar("q=button%20css&k=2&min_similarity=-1").contains("note"));
}

INSTANTIATE_TEST_SUITE_P(Backends, SimilarTasksTest, ::testing::Values("sqlite", "postgresql", "pglite"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace agentlearn
