#pragma once
// The store factory: a URL names the backend, as `--db` and AGENTLEARN_DB take it.
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.hpp"
#include "store/store.hpp"

namespace agentlearn {

// Opens the store a URL names:
//   sqlite:PATH, sqlite://PATH, or a bare path ending in .db   a SQLite file (created if missing)
//   sqlite::memory:                                            a private in-memory SQLite (tests)
//   postgresql://... or postgres://...                         PostgreSQL (libpq URL syntax)
// Anything else is kInvalidArgument. Does not migrate: the caller runs migrate() when it
// means to change the schema. PostgreSQL does not connect here, so a server can start while
// its database is still down.
StatusOr<std::unique_ptr<Store>> open_store(std::string_view url);

// The file a SQLite URL names (sqlite:PATH, sqlite://PATH, a bare *.db path); nullopt for
// any other URL (and for sqlite::memory:, which has no file).
std::optional<std::string> sqlite_file_of(std::string_view url);
// True for postgresql:// and postgres:// URLs.
bool is_postgres_url(std::string_view url);

}  // namespace agentlearn
