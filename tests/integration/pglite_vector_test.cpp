// pgvector on PGlite's PostgreSQL (AGENTLEARN_TEST_PGLITE_URL, started by scripts/start-pglite):
// Debian 12 packages no pgvector for PostgreSQL 15, so this is where the vector SQL is tested.
// Also pins down the PGlite behaviour PostgresStore relies on. Skips when the variable is unset.
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "server_process.hpp"

namespace agentlearn {
namespace {

class Pglite : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(testing::reset_pglite_database(), "") << "cannot empty the PGlite database";
    conn_ = connect();
    ASSERT_EQ(PQstatus(conn_), CONNECTION_OK) << PQerrorMessage(conn_);
  }
  void TearDown() override { PQfinish(conn_); }

  static PGconn* connect() {
    PGconn* c = PQconnectdb(testing::pglite_url().c_str());
    PQsetNoticeProcessor(c, [](void*, const char*) {}, nullptr);
    return c;
  }

  // Runs a statement on `c`; the rows (each column as text), or an "ERROR: ..." row.
  static std::vector<std::vector<std::string>> exec(PGconn* c, const std::string& sql,
                                                    const std::vector<std::string>& params = {}) {
    std::vector<const char*> p;
    for (const auto& s : params) p.push_back(s.c_str());
    PGresult* r = PQexecParams(c, sql.c_str(), static_cast<int>(p.size()), nullptr, p.data(),
                               nullptr, nullptr, 0);
    std::vector<std::vector<std::string>> rows;
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
      rows.push_back({std::string("ERROR: ") + PQresultErrorMessage(r)});
    }
    for (int i = 0; st == PGRES_TUPLES_OK && i < PQntuples(r); ++i) {
      auto& row = rows.emplace_back();
      for (int j = 0; j < PQnfields(r); ++j) row.emplace_back(PQgetvalue(r, i, j));
    }
    PQclear(r);
    return rows;
  }
  std::vector<std::vector<std::string>> exec(const std::string& sql,
                                             const std::vector<std::string>& params = {}) {
    return exec(conn_, sql, params);
  }

  PGconn* conn_ = nullptr;
};

using Rows = std::vector<std::vector<std::string>>;

std::string vector_literal(const std::vector<float>& v) {
  std::string out = "[";
  for (size_t i = 0; i < v.size(); ++i) {
    if (i > 0) out += ',';
    out += std::to_string(v[i]);
  }
  return out + "]";
}

double cosine_distance(const std::vector<float>& a, const std::vector<float>& b) {
  double dot = 0, na = 0, nb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    dot += double{a[i]} * b[i];
    na += double{a[i]} * a[i];
    nb += double{b[i]} * b[i];
  }
  return 1 - dot / std::sqrt(na * nb);
}

TEST_F(Pglite, HnswCosineIndexFindsTheNearestVectors) {
  ASSERT_EQ(exec("CREATE EXTENSION IF NOT EXISTS vector"), Rows{});
  ASSERT_EQ(exec("CREATE EXTENSION IF NOT EXISTS vector"), Rows{}) << "not idempotent";
  ASSERT_EQ(exec("CREATE TABLE items (id INT PRIMARY KEY, embedding vector(256) NOT NULL)"), Rows{});
  ASSERT_EQ(exec("CREATE INDEX items_embedding_idx ON items USING hnsw (embedding vector_cosine_ops)"),
            Rows{});
  // The dimension is enforced.
  EXPECT_EQ(exec("INSERT INTO items VALUES (0, '[1,2,3]')")[0][0].rfind("ERROR", 0), 0u);

  // Deterministic pseudo-random vectors, with the stored ones inserted after the index exists
  // (so the HNSW graph is built incrementally, as in use).
  constexpr int kRows = 400;
  constexpr size_t kDim = 256;
  constexpr size_t kK = 10;
  std::mt19937 rng(20261124);
  std::normal_distribution<float> normal;
  auto random_vector = [&] {
    std::vector<float> v(kDim);
    for (auto& x : v) x = normal(rng);
    return v;
  };
  std::vector<std::vector<float>> stored;
  for (int i = 0; i < kRows; ++i) {
    stored.push_back(random_vector());
    ASSERT_EQ(exec("INSERT INTO items VALUES ($1::int, $2::vector)",
                   {std::to_string(i), vector_literal(stored.back())}),
              Rows{});
  }
  // std::to_string kept 6 decimals: compare against what the server holds.
  for (auto& v : stored) {
    for (auto& x : v) x = std::stof(std::to_string(x));
  }

  // Without sequential scans, the plan must be the index (ORDER BY <=> LIMIT k).
  ASSERT_EQ(exec("BEGIN"), Rows{});
  ASSERT_EQ(exec("SET LOCAL enable_seqscan = off"), Rows{});
  std::string plan;
  for (const auto& row : exec("EXPLAIN SELECT id FROM items ORDER BY embedding <=> $1::vector LIMIT 10",
                              {vector_literal(stored[0])})) {
    plan += row[0] + "\n";
  }
  EXPECT_NE(plan.find("items_embedding_idx"), std::string::npos) << plan;

  size_t found = 0, wanted = 0;
  for (int q = 0; q < 20; ++q) {
    // Half the queries are stored vectors (their own row must come first), half new ones.
    std::vector<float> query = q % 2 == 0 ? stored[q * 17 % kRows] : random_vector();
    std::vector<int> by_distance(kRows);
    std::iota(by_distance.begin(), by_distance.end(), 0);
    std::sort(by_distance.begin(), by_distance.end(), [&](int a, int b) {
      return cosine_distance(query, stored[a]) < cosine_distance(query, stored[b]);
    });
    Rows got = exec("SELECT id, embedding <=> $1::vector FROM items "
                    "ORDER BY embedding <=> $1::vector LIMIT " + std::to_string(kK),
                    {vector_literal(query)});
    ASSERT_EQ(got.size(), kK) << (got.empty() ? "" : got[0][0]);
    if (q % 2 == 0) {
      EXPECT_EQ(std::stoi(got[0][0]), q * 17 % kRows);
    }
    std::set<int> truth(by_distance.begin(), by_distance.begin() + kK);
    double previous = -1;
    for (const auto& row : got) {
      int id = std::stoi(row[0]);
      double distance = std::stod(row[1]);
      EXPECT_NEAR(distance, cosine_distance(query, stored[id]), 1e-5) << "id " << id;
      EXPECT_GE(distance, previous) << "not in distance order";
      previous = distance;
      found += truth.count(id);
    }
    wanted += kK;
  }
  ASSERT_EQ(exec("COMMIT"), Rows{});
  // HNSW is approximate; on 400 vectors it should miss (almost) nothing.
  double recall = static_cast<double>(found) / static_cast<double>(wanted);
  RecordProperty("recall_at_10", std::to_string(recall));
  EXPECT_GE(recall, 0.95);
}

// What PostgresStore works around (prepared statements named per connection, one request at a
// time per process): every connection is the same session, whatever the connection string says.
TEST_F(Pglite, ConnectionsShareOneSession) {
  ASSERT_EQ(exec("PREPARE agentlearn_probe AS SELECT 1"), Rows{});
  ASSERT_EQ(exec("SET application_name = 'agentlearn_probe'"), Rows{});
  PGconn* other = connect();
  ASSERT_EQ(PQstatus(other), CONNECTION_OK) << PQerrorMessage(other);
  EXPECT_EQ(exec(other, "SELECT count(*) FROM pg_prepared_statements WHERE name = 'agentlearn_probe'"),
            (Rows{{"1"}}));
  EXPECT_EQ(exec(other, "SHOW application_name"), (Rows{{"agentlearn_probe"}}));
  EXPECT_EQ(exec(other, "SELECT strpos(version(), 'PGlite') > 0"), (Rows{{"t"}}));
  PQfinish(other);
}

}  // namespace
}  // namespace agentlearn
