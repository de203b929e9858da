#include "app/cmd_backup.hpp"

#include <fmt/format.h>

#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "app/cmd_record.hpp"
#include "app/config.hpp"
#include "core/json_writer.hpp"
#include "store/backup.hpp"

namespace agentlearn {
namespace {

struct BackupFlags {
  std::string output;
  std::optional<std::string> db;
  std::string config_file;
  bool force = false;
  bool json = false;
  std::string pg_dump = "pg_dump";
};

int run_backup(const BackupFlags& f) {
  auto url = resolve_database(f.db, f.config_file, process_environment());
  if (!url.ok()) {
    std::cerr << "agentlearn backup: " << url.status().message() << "\n";
    return kExitInvalidInput;
  }
  BackupOptions options;
  options.overwrite = f.force;
  options.pg_dump = f.pg_dump;
  auto report = backup_store(*url, f.output, options);
  if (!report.ok()) {
    std::cerr << "agentlearn backup: " << report.status().message() << "\n";
    return report.status().code() == StatusCode::kInvalidArgument ? kExitInvalidInput : kExitFailure;
  }
  if (f.json) {
    std::string out;
    JsonWriter w(out);
    w.begin_object().member("backend", report->backend).member("format", report->format);
    w.member("path", report->path).member("bytes", report->bytes).member("seconds", report->seconds).end_object();
    std::cout << out << "\n";
  } else {
    std::cout << fmt::format("backed up the {} store to {} ({} bytes, {} in {:.2f} s)\n", report->backend,
                             report->path, report->bytes,
                             report->format == "sql" ? "pg_dump plain SQL" : "a SQLite database file",
                             report->seconds);
  }
  return kExitOk;
}

}  // namespace

void register_backup_command(CLI::App& app) {
  auto flags = std::make_shared<BackupFlags>();
  CLI::App* cmd = app.add_subcommand("backup", "Copy the whole store to a file while the server keeps running");
  cmd->footer(
      "The store: --db URL, else the one `serve` would use ($AGENTLEARN_DB, $POSTGRES_*, the\n"
      "--config file's `database`, sqlite:./data/agentlearn.db).\n"
      "SQLite: SQLite's online backup API writes one consistent snapshot of the database to FILE,\n"
      "a SQLite database itself (writes go on meanwhile). Restore: stop the server, put FILE\n"
      "where the database was (or serve --db sqlite:FILE).\n"
      "PostgreSQL: runs pg_dump (plain SQL, no owners or privileges; PostgreSQL client 15 or\n"
      "newer on PATH, or --pg-dump PROGRAM). Restore into an empty database:\n"
      "  psql -v ON_ERROR_STOP=1 --single-transaction -d postgresql://.../newdb -f FILE\n"
      "The copy is written as FILE.partial and renamed when complete. An existing FILE is kept\n"
      "unless --force.\n"
      "Examples:\n"
      "  agentlearn backup backups/agentlearn-$(date -u +%Y%m%dT%H%M%SZ).db\n"
      "  agentlearn backup --db postgresql://agentlearn@db:5432/agentlearn agentlearn.sql\n"
      "Exit status: 0 written, 1 the store or the copy failed, 2 bad usage (an existing FILE, a\n"
      "missing directory, a URL that is not a store).\n");
  cmd->add_option("file", flags->output, "The backup file to write")->required();
  cmd->add_option("--db", flags->db, "The store: sqlite:PATH or postgresql://...");
  cmd->add_option("--config", flags->config_file, "YAML config file (its `database` is used with no --db)");
  cmd->add_flag("--force", flags->force, "Replace FILE if it exists");
  cmd->add_option("--pg-dump", flags->pg_dump, "The pg_dump program (PostgreSQL)")->capture_default_str();
  cmd->add_flag("--json", flags->json, "Print the result as one JSON object");
  cmd->callback([flags] {
    int code = run_backup(*flags);
    if (code != kExitOk) throw CLI::RuntimeError(code);
  });
}

}  // namespace agentlearn
