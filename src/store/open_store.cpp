#include "store/open_store.hpp"

#include <string>

#include "store/postgres/postgres_store.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace agentlearn {
namespace {

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}
bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

StatusOr<std::unique_ptr<Store>> open_sqlite(std::string_view path) {
  if (path.empty()) return Status::Invalid("database URL: sqlite: needs a file path, as in sqlite:./data/agentlearn.db");
  auto store = SqliteStore::open(std::string(path));
  if (!store.ok()) return store.status();
  return std::unique_ptr<Store>(std::move(store).value());
}

}  // namespace

std::optional<std::string> sqlite_file_of(std::string_view url) {
  if (url == "sqlite::memory:") return std::nullopt;
  if (starts_with(url, "sqlite://")) return std::string(url.substr(9));
  if (starts_with(url, "sqlite:")) return std::string(url.substr(7));
  if (ends_with(url, ".db") && url.find("://") == std::string_view::npos) return std::string(url);
  return std::nullopt;
}

bool is_postgres_url(std::string_view url) {
  return starts_with(url, "postgresql://") || starts_with(url, "postgres://");
}

StatusOr<std::unique_ptr<Store>> open_store(std::string_view url) {
  if (url == "sqlite::memory:") {
    auto store = SqliteStore::open_memory();
    if (!store.ok()) return store.status();
    return std::unique_ptr<Store>(std::move(store).value());
  }
  if (starts_with(url, "postgresql://") || starts_with(url, "postgres://")) {
    auto store = PostgresStore::open(std::string(url));
    if (!store.ok()) return store.status();
    return std::unique_ptr<Store>(std::move(store).value());
  }
  // sqlite:///abs/path and sqlite://rel/path, as other tools write them, mean the same file
  // as sqlite:/abs/path and sqlite:rel/path.
  if (starts_with(url, "sqlite://")) return open_sqlite(url.substr(9));
  if (starts_with(url, "sqlite:")) return open_sqlite(url.substr(7));
  if (ends_with(url, ".db") && url.find("://") == std::string_view::npos) return open_sqlite(url);
  // Only the scheme is echoed: the rest of a URL may hold a password.
  std::string_view scheme = url.substr(0, url.find(':'));
  return Status::Invalid("database URL " +
                         (scheme.size() < url.size() ? "scheme '" + std::string(scheme) + "'"
                                                     : std::string("'") + std::string(url) + "'") +
                         " is not supported: use sqlite:PATH, a path ending in .db, or "
                         "postgresql://USER@HOST:PORT/DB");
}

}  // namespace agentlearn
