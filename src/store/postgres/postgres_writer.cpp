// The group writer's connection: one transaction per group, the idempotency lookup, and the
// insert (one unnest() statement for small groups, COPY for large ones).
#include <cstring>
#include <string>
#include <unordered_map>
#include <vector>

#include "store/postgres/postgres_connection.hpp"
#include "store/postgres/postgres_text_format.hpp"
#include "store/row_codec.hpp"

namespace agentlearn {

using namespace pg_impl;

namespace {

// Ids come from the sequence first so that each row's id is known in input order.
constexpr const char* kNextIdsName = "agentlearn_next_ids";
constexpr const char* kNextIdsSql =
    "SELECT nextval('executions_id_seq') FROM generate_series(1, $1::int)";

// One index probe per id, whatever the table size. The obvious `execution_id = ANY($1)`
// lets the planner guess that 10,000 ids match 10,000 rows and pick a sequential scan of
// the whole table (measured: 500+ ms per 10,000-row group on 450k rows, against ~15 ms
// this way); LIMIT 1 keeps the lateral subquery from being flattened into a hash join.
constexpr const char* kFindName = "agentlearn_find_existing";
constexpr const char* kFindSql =
    "SELECT q.execution_id, e.id, e.content_hash "
    "FROM unnest($1::text[]) AS q(execution_id) "
    "CROSS JOIN LATERAL (SELECT id, content_hash FROM executions "
    "                    WHERE execution_id = q.execution_id LIMIT 1) AS e";

constexpr const char* kJournalName = "agentlearn_journal";
constexpr const char* kJournalSql = "INSERT INTO analytics_journal (ids, created_us) VALUES ($1::int8[], $2::int8)";

// The codec's columns (store/row_codec.hpp), each row with the id drawn first.
std::string copy_sql() { return "COPY executions (id, " + store_codec::insert_column_list() + ") FROM STDIN"; }

// One statement, one round trip, for small groups: each column arrives as one array, the
// CTE draws the ids (materialised once, as it is referenced twice), inserts, and returns the
// ids in input order. $1..$N are the codec's columns as arrays, $N+1 the group's received_us.
constexpr const char* kInsertName = "agentlearn_insert_unnest";
std::string insert_unnest_sql() {
  std::string arrays, names, values;
  int n = 0;
  for (const store_codec::ExecutionColumn& c : store_codec::kExecutionColumns) {
    const std::string sep = n > 0 ? ", " : "";
    arrays += sep + "$" + std::to_string(++n) + "::" + c.type + "[]";
    names += sep + c.name;
    values += sep + c.name + c.cast;
  }
  return "WITH input AS (SELECT nextval('executions_id_seq') AS id, u.* FROM unnest(" + arrays +
         ") WITH ORDINALITY AS u(" + names + ", ord)), inserted AS (INSERT INTO executions (id, " +
         store_codec::insert_column_list() + ") SELECT id, " + values + ", $" + std::to_string(n + 1) +
         "::int8 FROM input) SELECT id FROM input ORDER BY ord";
}

// A sink of store_codec::encode_execution() that appends each column to its own array.
struct ColumnArrays {
  ArrayBuilder* cols;
  int i = 0;
  void text(std::string_view v) { cols[i++].text(v); }
  void opt_text(const std::optional<std::string>& v) { cols[i++].opt_text(v); }
  void dbl(double v) { cols[i++].dbl(v); }
  void opt_dbl(const std::optional<double>& v) { cols[i++].opt_dbl(v); }
  void int64(int64_t v) { cols[i++].int64(v); }
  void boolean(bool v) { cols[i++].boolean(v); }
  void opt_boolean(const std::optional<bool>& v) { cols[i++].opt_boolean(v); }
};

// One execution as a COPY row in copy_sql()'s column order.
void append_copy_row(std::string& out, int64_t id, const Execution& e, int64_t received_us) {
  CopyRow row(out);
  row.int64(id);
  store_codec::encode_execution(e, row);
  row.int64(received_us);
  row.end();
}

class PgWriter final : public StoreWriter {
 public:
  PgWriter(const std::string& url, const std::string& target, const PostgresOptions& options,
           PostgresDialect& dialect)
      : conn_(url, target, options, dialect), options_(options) {}
  ~PgWriter() override { rollback(); }

  Status begin() override {
    // A transaction left open by a failed group is abandoned: nothing in it was acknowledged.
    rollback();
    turn_ = conn_.dialect().turn();  // until commit() or rollback()
    // Two attempts: the first use of a connection the server dropped (restart, failover,
    // pg_terminate_backend) is what reveals it, so one reconnect is always worth trying.
    Status st;
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (st = conn_.ensure(); !st.ok()) break;
      if (!turn_.owns_lock()) turn_ = conn_.dialect().turn();  // a first connect found PGlite
      Result r(PQexec(conn_.get(), "BEGIN"));
      if (result_ok(r.get())) {
        in_txn_ = true;
        return Status::Ok();
      }
      st = pg_status(conn_.get(), r.get(), "begin");
      if (conn_.ok()) break;  // the server answered: not a connection problem
      conn_.drop();
    }
    turn_ = {};
    return st;
  }

  Status commit() override {
    std::unique_lock<PostgresDialect::Turns> turn = std::move(turn_);  // given back on return
    if (!conn_.ok()) {
      in_txn_ = false;
      return Status::Unavailable("postgresql: connection lost before commit; nothing was committed");
    }
    Result r(PQexec(conn_.get(), "COMMIT"));
    in_txn_ = false;
    if (!result_ok(r.get())) {
      if (!conn_.ok()) {
        // The COMMIT may have reached the server before the connection broke.
        return Status::Unavailable(
            "postgresql: connection lost during commit; the outcome is unknown: " +
            one_line(PQerrorMessage(conn_.get())));
      }
      return pg_status(conn_.get(), r.get(), "commit");
    }
    // COMMIT of a transaction that already failed "succeeds" with the tag ROLLBACK.
    if (std::strcmp(PQcmdStatus(r.get()), "COMMIT") != 0) {
      return Status::Internal("postgresql: the transaction had failed and was rolled back");
    }
    return Status::Ok();
  }

  void rollback() override {
    std::unique_lock<PostgresDialect::Turns> turn = std::move(turn_);  // given back on return
    if (!in_txn_) return;
    in_txn_ = false;
    if (conn_.ok()) PQclear(PQexec(conn_.get(), "ROLLBACK"));
  }

  Status find_existing(std::span<const std::string> ids,
                       std::vector<std::optional<ExistingExecution>>& out) override {
    out.assign(ids.size(), std::nullopt);
    if (ids.empty()) return Status::Ok();
    if (Status st = usable(); !st.ok()) return st;
    if (Status st = conn_.prepare(kFindName, kFindSql); !st.ok()) return st;
    array_.clear();
    size_t queried = 0;
    for (const std::string& id : ids) {
      if (has_nul(id)) continue;  // cannot be stored, so cannot exist
      array_.text(id);
      ++queried;
    }
    if (queried == 0) return Status::Ok();
    const char* params[] = {array_.finish()};
    Result r(PQexecPrepared(conn_.get(), conn_.statement(kFindName).c_str(), 1, params, nullptr,
                            nullptr, 0));
    if (!result_ok(r.get())) return pg_status(conn_.get(), r.get(), "find existing executions");
    int n = PQntuples(r.get());
    if (n == 0) return Status::Ok();
    std::unordered_map<std::string_view, int> found;
    found.reserve(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) found.emplace(value_view(r.get(), i, 0), i);
    for (size_t i = 0; i < ids.size(); ++i) {
      auto it = found.find(ids[i]);
      if (it == found.end()) continue;
      out[i] = store_codec::decode_existing(PgRow{r.get(), it->second}, 1);
    }
    return Status::Ok();
  }

  Status insert(std::span<const Execution* const> rows, int64_t received_us,
                std::vector<int64_t>& ids_out) override {
    ids_out.clear();
    if (rows.empty()) return Status::Ok();
    for (const Execution* e : rows) {
      if (Status st = check_no_nul(*e); !st.ok()) return st;
    }
    if (Status st = usable(); !st.ok()) return st;
    // PGlite runs each protocol message on its own, so COPY FROM STDIN meets the end of its
    // input at once (and the failed COPY left the server answering nobody): unnest() only.
    Status st = rows.size() > options_.copy_threshold && !conn_.pglite()
                    ? insert_copy(rows, received_us, ids_out)
                    : insert_unnest(rows, received_us, ids_out);
    return st;
  }

  Status journal(std::span<const int64_t> ids, int64_t now_us) override {
    if (ids.empty()) return Status::Ok();
    if (Status st = usable(); !st.ok()) return st;
    // Every id, not a range: ids drawn from the sequence by concurrent writers interleave
    // and commit in any order. A plain insert: no lock any other writer waits on.
    if (Status st = conn_.prepare(kJournalName, kJournalSql); !st.ok()) return st;
    journal_ids_.clear();
    for (int64_t id : ids) journal_ids_.int64(id);
    const std::string now = std::to_string(now_us);
    const char* params[] = {journal_ids_.finish(), now.c_str()};
    Result r(PQexecPrepared(conn_.get(), conn_.statement(kJournalName).c_str(), 2, params, nullptr, nullptr, 0));
    if (!result_ok(r.get())) return pg_status(conn_.get(), r.get(), "write the analytics journal");
    return Status::Ok();
  }

 private:
  Status usable() {
    if (conn_.ok()) return Status::Ok();
    return Status::Unavailable("postgresql: connection lost (begin() reconnects)");
  }

  Status insert_unnest(std::span<const Execution* const> rows, int64_t received_us,
                       std::vector<int64_t>& ids_out) {
    static const std::string sql = insert_unnest_sql();
    if (Status st = conn_.prepare(kInsertName, sql.c_str()); !st.ok()) return st;
    constexpr int kArrays = store_codec::kExecutionColumnCount;
    for (auto& c : cols_) c.clear();
    for (const Execution* e : rows) {
      ColumnArrays arrays{cols_};
      store_codec::encode_execution(*e, arrays);
    }
    std::string received = std::to_string(received_us);
    const char* params[kArrays + 1];
    for (int i = 0; i < kArrays; ++i) params[i] = cols_[i].finish();
    params[kArrays] = received.c_str();
    Result r(PQexecPrepared(conn_.get(), conn_.statement(kInsertName).c_str(), kArrays + 1, params,
                            nullptr, nullptr, 0));
    if (!result_ok(r.get())) return pg_status(conn_.get(), r.get(), "insert executions");
    int n = PQntuples(r.get());
    if (static_cast<size_t>(n) != rows.size()) {
      return Status::Internal("postgresql: insert returned " + std::to_string(n) + " ids for " +
                              std::to_string(rows.size()) + " rows");
    }
    ids_out.reserve(rows.size());
    for (int i = 0; i < n; ++i) ids_out.push_back(value_int(r.get(), i, 0));
    return Status::Ok();
  }

  Status insert_copy(std::span<const Execution* const> rows, int64_t received_us,
                     std::vector<int64_t>& ids_out) {
    // 1. Ids, in input order.
    if (Status st = conn_.prepare(kNextIdsName, kNextIdsSql); !st.ok()) return st;
    std::string count = std::to_string(rows.size());
    const char* params[] = {count.c_str()};
    {
      Result r(PQexecPrepared(conn_.get(), conn_.statement(kNextIdsName).c_str(), 1, params,
                              nullptr, nullptr, 0));
      if (!result_ok(r.get())) return pg_status(conn_.get(), r.get(), "allocate ids");
      int n = PQntuples(r.get());
      if (static_cast<size_t>(n) != rows.size()) {
        return Status::Internal("postgresql: sequence returned too few ids");
      }
      ids_out.reserve(rows.size());
      for (int i = 0; i < n; ++i) ids_out.push_back(value_int(r.get(), i, 0));
    }
    // 2. COPY the rows with those ids.
    {
      static const std::string sql = copy_sql();
      Result r(PQexec(conn_.get(), sql.c_str()));
      if (PQresultStatus(r.get()) != PGRES_COPY_IN) {
        ids_out.clear();
        return pg_status(conn_.get(), r.get(), "start copy");
      }
    }
    constexpr size_t kChunk = 1 << 20;  // bytes handed to libpq at a time
    buf_.clear();
    bool send_failed = false;
    for (size_t i = 0; i < rows.size() && !send_failed; ++i) {
      append_copy_row(buf_, ids_out[i], *rows[i], received_us);
      if (buf_.size() >= kChunk || i + 1 == rows.size()) {
        if (PQputCopyData(conn_.get(), buf_.data(), static_cast<int>(buf_.size())) != 1) {
          send_failed = true;
        }
        buf_.clear();
      }
    }
    if (buf_.capacity() > 4 * kChunk) buf_ = std::string();  // do not pin a huge buffer
    Status st;
    if (send_failed || PQputCopyEnd(conn_.get(), nullptr) != 1) {
      st = pg_status(conn_.get(), nullptr, "copy rows");
    }
    // Drain every result; the first error wins (e.g. 23505 surfaces here).
    while (PGresult* raw = PQgetResult(conn_.get())) {
      Result r(raw);
      if (PQresultStatus(raw) == PGRES_COPY_IN) {
        // Still in COPY (the data could not all be sent): abort it so the server answers,
        // or give the connection up if even that fails; begin() reconnects.
        if (PQputCopyEnd(conn_.get(), "aborted by client") != 1) {
          if (st.ok()) st = pg_status(conn_.get(), nullptr, "copy rows");
          conn_.drop();
          break;
        }
        continue;
      }
      if (st.ok() && !result_ok(r.get())) st = pg_status(conn_.get(), r.get(), "copy rows");
    }
    if (!st.ok()) ids_out.clear();
    return st;
  }

  Connection conn_;
  PostgresOptions options_;
  bool in_txn_ = false;
  std::unique_lock<PostgresDialect::Turns> turn_;  // held from begin() to commit() or rollback() on PGlite
  // Reused across groups to avoid reallocating per call.
  std::string buf_;
  ArrayBuilder array_;
  ArrayBuilder cols_[store_codec::kExecutionColumnCount];
  ArrayBuilder journal_ids_;
};

}  // namespace

namespace pg_impl {

StatusOr<std::unique_ptr<StoreWriter>> open_postgres_writer(PostgresPool& pool) {
  return std::unique_ptr<StoreWriter>(new PgWriter(pool.url(), pool.target(), pool.options(), pool.dialect()));
}

}  // namespace pg_impl

}  // namespace agentlearn
