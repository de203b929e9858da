// PostgreSQL: model sets (blobs moved in binary slices) and the activation history.
#include <algorithm>
#include <cstring>
#include <limits>
#include <string>

#include "store/over_pool.hpp"
#include "store/postgres/postgres_connection.hpp"
#include "store/row_codec.hpp"

namespace agentlearn {

using namespace pg_impl;
using namespace store_codec;

namespace {

// Model sets (their blobs over connections of their own) and the activation history.
class PostgresModels final : public ModelStore, OverPool<PostgresPool> {
 public:
  using OverPool::OverPool;

  Status save_model_set(const ModelSetRecord& record) override {
    if (Status st = check_no_nul(
            {{"version", record.version}, {"reason", record.reason}, {"summary_json", record.summary_json}});
        !st.ok()) {
      return st;
    }
    if (record.blob.size() > static_cast<size_t>(std::numeric_limits<int>::max())) {
      return Status::Invalid("postgresql: a model set blob must be smaller than 2 GiB", "blob");
    }
    auto turn = pool_.dialect().turn();
    auto conn = pool_.blob_connection();
    if (!conn.ok()) return conn.status();
    PGconn* c = (*conn)->get();
    std::string created = std::to_string(record.created_us);
    // The blob travels as a binary bytea parameter: its bytes as they are, where the text
    // format would send an escaped copy twice its size.
    constexpr Oid kByteaOid = 17;
    const Oid types[] = {0, 0, 0, 0, 0, kByteaOid};
    const char* values[] = {record.version.c_str(),      created.c_str(),
                            record.rejected ? "t" : "f", record.reason.c_str(),
                            record.summary_json.c_str(), record.blob.data()};
    const int lengths[] = {0, 0, 0, 0, 0, static_cast<int>(record.blob.size())};
    const int formats[] = {0, 0, 0, 0, 0, 1};
    // One statement, so one transaction: the set is saved whole or not at all. On PGlite inside
    // BEGIN and COMMIT as well, so no other request's messages interleave (postgres_dialect.hpp).
    const bool wrap = (*conn)->pglite();
    if (wrap) {
      if (Status st = exec_script(c, "BEGIN", "save model set"); !st.ok()) return st;
    }
    ReadTxn txn(c);
    if (!wrap) txn.done();
    Result r(PQexecParams(c,
                          "INSERT INTO model_sets (version, created_us, rejected, reason, "
                          "summary_json, blob) VALUES ($1, $2::int8, $3::bool, $4, $5, $6)",
                          6, types, values, lengths, formats, 0));
    if (!result_ok(r.get())) return pg_status(c, r.get(), "save model set", "version");
    if (wrap) {
      txn.done();
      return exec_script(c, "COMMIT", "save model set");
    }
    return Status::Ok();
  }

  StatusOr<std::vector<ModelSetRecord>> list_model_sets() override {
    std::vector<ModelSetRecord> out;
    // COLLATE "C": versions order by their bytes, as in SQLite, whatever the database's locale.
    std::string sql = std::string("SELECT ") + kModelSetColumns +
                      " FROM model_sets ORDER BY created_us DESC, version COLLATE \"C\" DESC";
    Status st = pool_.query(sql.c_str(), {}, "list model sets", [&](const PGresult* r, int i) {
      decode_model_set(PgRow{r, i}, out.emplace_back());
    });
    if (!st.ok()) return st;
    return out;
  }

  StatusOr<std::optional<ModelSetRecord>> load_model_set(std::string_view version) override {
    if (has_nul(version)) return std::optional<ModelSetRecord>();  // cannot be stored
    auto turn = pool_.dialect().turn();
    auto conn = pool_.blob_connection();
    if (!conn.ok()) return conn.status();
    PGconn* c = (*conn)->get();
    // PGlite: inside a transaction, so no other request's messages interleave (postgres_dialect.hpp).
    const bool wrap = (*conn)->pglite();
    if (wrap) {
      if (Status st = exec_script(c, "BEGIN READ ONLY", "load model set"); !st.ok()) return st;
    }
    ReadTxn txn(c);
    if (!wrap) txn.done();
    std::string v(version);
    const char* head_params[] = {v.c_str()};
    std::string head_sql =
        std::string("SELECT ") + kModelSetColumns + ", octet_length(blob) FROM model_sets WHERE version = $1";
    Result head(PQexecParams(c, head_sql.c_str(), 1, nullptr, head_params, nullptr, nullptr, 0));
    if (!result_ok(head.get())) return pg_status(c, head.get(), "load model set");
    if (PQntuples(head.get()) == 0) return std::optional<ModelSetRecord>();
    std::optional<ModelSetRecord> found(std::in_place);
    decode_model_set(PgRow{head.get(), 0}, *found);
    std::string& blob = found->blob;
    blob.resize(static_cast<size_t>(value_int(head.get(), 0, 5)));
    // In slices, each in binary result format (the bytes as they are, not hex text) and copied
    // straight into place: the whole blob in one result would be held three times at once
    // (libpq's input buffer, the result, the record). A set is immutable, so the slices agree.
    constexpr size_t kSlice = 4 << 20;
    std::string count = std::to_string(kSlice);
    for (size_t offset = 0; offset < blob.size(); offset += kSlice) {
      std::string from = std::to_string(offset + 1);  // substring() counts from 1
      const char* params[] = {v.c_str(), from.c_str(), count.c_str()};
      Result r(PQexecParams(c,
                            "SELECT substring(blob FROM $2::int4 FOR $3::int4) FROM model_sets "
                            "WHERE version = $1",
                            3, nullptr, params, nullptr, nullptr, /*resultFormat=*/1));
      if (!result_ok(r.get())) return pg_status(c, r.get(), "read model set blob");
      size_t want = std::min(kSlice, blob.size() - offset);
      size_t got = PQntuples(r.get()) == 1 ? static_cast<size_t>(PQgetlength(r.get(), 0, 0)) : 0;
      if (got != want) {
        return Status::Internal("postgresql: model set blob slice at " + std::to_string(offset) + " has " +
                                std::to_string(got) + " bytes, expected " + std::to_string(want));
      }
      std::memcpy(blob.data() + offset, PQgetvalue(r.get(), 0, 0), got);
    }
    if (wrap) {
      txn.done();
      if (Status st = exec_script(c, "COMMIT", "load model set"); !st.ok()) return st;
    }
    return found;
  }

  Status record_activation(const ModelActivation& activation) override {
    if (Status st = check_no_nul({{"version", activation.version}, {"reason", activation.reason}});
        !st.ok()) {
      return st;
    }
    std::string at = std::to_string(activation.activated_us);
    return pool_.write_txn([&](Connection& conn) {
      return run(conn.get(),
                 "INSERT INTO model_activations (version, activated_us, reason) "
                 "VALUES ($1, $2::int8, $3)",
                 {activation.version.c_str(), at.c_str(), activation.reason.c_str()}, "record activation");
    });
  }

  StatusOr<std::vector<ModelActivation>> activations() override {
    std::vector<ModelActivation> out;
    std::string sql = std::string("SELECT ") + kActivationColumns + " FROM model_activations ORDER BY id";
    Status st = pool_.query(sql.c_str(), {}, "read activations", [&](const PGresult* r, int i) {
      decode_activation(PgRow{r, i}, out.emplace_back());
    });
    if (!st.ok()) return st;
    return out;
  }
};

}  // namespace

std::unique_ptr<ModelStore> pg_impl::postgres_models(PostgresPool& pool) { return std::make_unique<PostgresModels>(pool); }

}  // namespace agentlearn
