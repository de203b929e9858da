#include "app/cmd_rollup.hpp"

#include <fmt/format.h>

#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "app/cmd_record.hpp"
#include "app/config.hpp"
#include "core/json_writer.hpp"
#include "service/analytics_rollup.hpp"
#include "store/open_store.hpp"

namespace agentlearn {
namespace {

struct RollupFlags {
  std::optional<std::string> db;
  std::string config_file;
  bool downgrade = false;
  bool json = false;
};

int fail(const Status& st) {
  std::cerr << "agentlearn rollup: " << st.message() << "\n";
  return st.code() == StatusCode::kInvalidArgument ? kExitInvalidInput : kExitFailure;
}

int run_rollup(const RollupFlags& f) {
  auto url = resolve_database(f.db, f.config_file, process_environment());
  if (!url.ok()) return fail(url.status());
  auto store = open_store(*url);
  if (!store.ok()) return fail(store.status());
  if (Status st = (*store)->migrate(); !st.ok()) return fail(st);
  auto rolled = AnalyticsRollup((*store)->analytics(), nullptr).drain();
  if (!rolled.ok()) return fail(rolled.status());
  if (f.downgrade) {
    if (Status st = (*store)->downgrade_schema(6); !st.ok()) return fail(st);
  }
  if (f.json) {
    std::string out;
    JsonWriter w(out);
    w.begin_object().member("journal_rows", rolled->journal_rows).member("executions", rolled->executions);
    w.member("cells", rolled->cells).member("schema_version", f.downgrade ? 6 : 7).end_object();
    std::cout << out << "\n";
  } else {
    std::cout << fmt::format("rolled up {} executions of {} journal rows into {} cell writes; nothing is pending\n",
                             rolled->executions, rolled->journal_rows, rolled->cells);
    if (f.downgrade) {
      std::cout << "the schema is at version 6: a release from before the analytics journal can open the store "
                   "(starting this release again upgrades it)\n";
    }
  }
  return kExitOk;
}

}  // namespace

void register_rollup_command(CLI::App& app) {
  auto flags = std::make_shared<RollupFlags>();
  CLI::App* cmd = app.add_subcommand("rollup", "Add every pending execution to the analytics cells now");
  cmd->footer(
      "The store: --db URL, else the one `serve` would use ($AGENTLEARN_DB, $POSTGRES_*, the\n"
      "--config file's `database`, sqlite:./data/agentlearn.db).\n"
      "Recorded executions reach the analytics cells in rollup rounds that every server runs\n"
      "(docs/analytics.md); this runs rounds until none is pending. Safe beside running servers.\n"
      "--downgrade then takes the schema back to version 6, the release before the analytics\n"
      "journal: stop every server first (one still writing fails, and nothing is lost), run\n"
      "this, then start the older release. Refused while executions are pending.\n"
      "Examples:\n"
      "  agentlearn rollup\n"
      "  agentlearn rollup --db postgresql://agentlearn@db:5432/agentlearn --downgrade\n"
      "Exit status: 0 done, 1 the store failed (or refused the downgrade), 2 bad usage.\n");
  cmd->add_option("--db", flags->db, "The store: sqlite:PATH or postgresql://...");
  cmd->add_option("--config", flags->config_file, "YAML config file (its `database` is used with no --db)");
  cmd->add_flag("--downgrade", flags->downgrade, "Then take the schema back to version 6 (an older release)");
  cmd->add_flag("--json", flags->json, "Print the result as one JSON object");
  cmd->callback([flags] {
    int code = run_rollup(*flags);
    if (code != kExitOk) throw CLI::RuntimeError(code);
  });
}

}  // namespace agentlearn
