// PostgreSQL: small shared settings.
#include <string>

#include "store/over_pool.hpp"
#include "store/postgres/postgres_connection.hpp"
#include "store/row_codec.hpp"

namespace agentlearn {

using namespace pg_impl;
using namespace store_codec;

namespace {

// Settings: one row per key, upserted in a transaction of its own.
class PostgresSettings final : public SettingStore, OverPool<PostgresPool> {
 public:
  using OverPool::OverPool;

  Status put_setting(std::string_view key, std::string_view value) override {
    if (Status st = check_no_nul({{"key", key}, {"value", value}}); !st.ok()) return st;
    std::string k(key), v(value);
    return pool_.write_txn([&](Connection& conn) {
      return run(conn.get(),
                 "INSERT INTO settings (key, value) VALUES ($1, $2) "
                 "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                 {k.c_str(), v.c_str()}, "put setting");
    });
  }

  StatusOr<std::optional<std::string>> get_setting(std::string_view key) override {
    if (has_nul(key)) return std::optional<std::string>();  // cannot be stored
    std::string k(key);
    std::optional<std::string> value;
    Status st = pool_.query("SELECT value FROM settings WHERE key = $1", {k.c_str()}, "get setting",
                            [&](const PGresult* r, int i) { value.emplace(value_view(r, i, 0)); });
    if (!st.ok()) return st;
    return value;
  }
};

}  // namespace

std::unique_ptr<SettingStore> pg_impl::postgres_settings(PostgresPool& pool) { return std::make_unique<PostgresSettings>(pool); }

}  // namespace agentlearn
