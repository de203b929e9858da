// SQLite: small shared settings.
#include <string>

#include "store/over_pool.hpp"
#include "store/row_codec.hpp"
#include "store/sqlite/sqlite_connection.hpp"

namespace agentlearn {

using namespace sqlite_impl;
using namespace store_codec;

namespace {

// Settings: one row per key, upserted.
class SqliteSettings final : public SettingStore, OverPool<SqlitePool> {
 public:
  using OverPool::OverPool;

  Status put_setting(std::string_view key, std::string_view value) override {
    return pool_.write([&](Connection& c) {
      return c.run(
          "INSERT INTO settings (key, value) VALUES (?1, ?2) "
          "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
          "put setting", [&](sqlite3_stmt* s) {
            bind_text(s, 1, key);
            bind_text(s, 2, value);
          });
    });
  }

  StatusOr<std::optional<std::string>> get_setting(std::string_view key) override {
    std::optional<std::string> value;
    Status st = pool_.query(
        "SELECT value FROM settings WHERE key = ?1", "get setting",
        [&](sqlite3_stmt* s) { bind_text(s, 1, key); },
        [&](sqlite3_stmt* s) { value.emplace(column_view(s, 0)); });
    if (!st.ok()) return st;
    return value;
  }
};

}  // namespace

std::unique_ptr<SettingStore> sqlite_impl::sqlite_settings(SqlitePool& pool) { return std::make_unique<SqliteSettings>(pool); }

}  // namespace agentlearn
