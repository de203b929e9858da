#include "app/cmd_import.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "app/client_options.hpp"
#include "app/cmd_record.hpp"
#include "app/import_progress.hpp"
#include "app/import_sink.hpp"
#include "app/import_sources.hpp"
#include "core/execution_json.hpp"
#include "core/json_text.hpp"
#include "core/time.hpp"

namespace agentlearn {

using namespace importing;

namespace {


struct ImportFlags {
  ClientOptions client;
  std::string file;
  std::string format;  // "", "jsonl" or "csv"
  size_t batch_size = 1000;
  bool no_progress = false;
  int retry_seconds = 30;
};

// A batch stops growing past this many bytes of JSON, well under the server's 16 MiB limit
// on one batch body, whatever the batch size.
constexpr size_t kMaxBatchBytes = 8u << 20;
constexpr size_t kPrintedErrors = 20;

std::string format_rejection(const Rejection& r) {
  if (r.field.empty() || r.message.find(r.field) != std::string::npos) {
    return fmt::format("line {}: {}", r.line, r.message);
  }
  return fmt::format("line {}: {}: {}", r.line, r.field, r.message);
}

void print_summary(const ImportFlags& f, const Tally& t, double seconds, const Status& failure) {
  if (f.client.json) {
    nlohmann::ordered_json j;
    j["imported"] = t.imported;
    j["duplicates"] = t.duplicates;
    j["rejected"] = t.rejected;
    auto errors = nlohmann::ordered_json::array();
    for (const Rejection& r : t.errors) {
      nlohmann::ordered_json e;
      e["line"] = r.line;
      e["field"] = r.field.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(r.field);
      e["message"] = r.message;
      errors.push_back(std::move(e));
    }
    j["errors"] = std::move(errors);
    if (t.errors.size() < t.rejected) j["errors_truncated"] = true;
    j["records"] = t.records;
    j["seconds"] = std::round(seconds * 1000) / 1000;
    if (!failure.ok()) j["error"] = failure.message();
    std::cout << json_text(j) << '\n';
    return;
  }
  std::cout << fmt::format("imported {}, duplicates {}, rejected {}\n", t.imported, t.duplicates, t.rejected);
  double rate = seconds > 0 ? static_cast<double>(t.imported + t.duplicates) / seconds : 0;
  std::cout << fmt::format("{} records read in {:.2f} s ({:.0f} records/s)\n", t.records, seconds, rate);
  if (t.rejected > 0) {
    std::cout << fmt::format("{} record{} rejected and not imported{}:\n", t.rejected,
                             t.rejected == 1 ? " was" : "s were",
                             t.rejected > kPrintedErrors ? fmt::format(" (the first {})", kPrintedErrors) : "");
    for (size_t i = 0; i < t.errors.size() && i < kPrintedErrors; ++i) {
      std::cout << "  " << format_rejection(t.errors[i]) << '\n';
    }
    if (t.rejected > kPrintedErrors) {
      std::cout << fmt::format("  ... and {} more (--json lists them all)\n", t.rejected - kPrintedErrors);
    }
  }
}

std::string detect_format(const ImportFlags& f) {
  if (!f.format.empty()) return f.format;
  std::string ext = std::filesystem::path(f.file).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext == ".csv" ? "csv" : "jsonl";
}

int run_import(ImportFlags& f) {
  resolve_client_options(f.client);
  auto fail_input = [](const std::string& message) {
    std::cerr << "error: " << message << '\n';
    return kExitInvalidInput;
  };
  auto db = direct_store_url(f.client);
  if (!db.ok()) return fail_input(db.status().message());
  f.client.db = *db;

  std::ifstream file;
  std::istream* in = &std::cin;
  uint64_t total_bytes = 0;
  if (f.file != "-") {
    std::error_code ec;
    if (std::filesystem::is_directory(f.file, ec)) return fail_input(fmt::format("{} is a directory", f.file));
    file.open(f.file, std::ios::binary);
    if (!file) return fail_input(fmt::format("cannot open {}: {}", f.file, std::strerror(errno)));
    auto size = std::filesystem::file_size(f.file, ec);
    if (!ec && std::filesystem::is_regular_file(f.file, ec)) total_bytes = size;
    in = &file;
  }

  std::unique_ptr<RecordSource> source;
  if (detect_format(f) == "csv") {
    auto csv = csv_source(*in);
    if (!csv.ok()) return fail_input(fmt::format("{}: {}", f.file == "-" ? "stdin" : f.file, csv.status().message()));
    source = std::move(csv).value();
  } else {
    source = jsonl_source(*in);
  }

  Progress progress(!f.no_progress && isatty(STDERR_FILENO) == 1, total_bytes);
  std::unique_ptr<Sink> sink;
  if (f.client.db) {
    auto writer = DirectWriter::open(*f.client.db);
    if (!writer.ok()) {
      std::cerr << "error: " << writer.status().message() << '\n';
      // A --db URL that names no store is the user's to fix; a store that fails is not.
      return writer.status().code() == StatusCode::kInvalidArgument ? kExitInvalidInput : kExitFailure;
    }
    sink = store_sink(std::move(writer).value());
  } else {
    sink = server_sink(f.client, std::chrono::seconds(f.retry_seconds), progress);
  }

  auto start = Clock::now();
  Tally tally;
  Status failure;
  std::vector<Pending> batch;
  size_t batch_bytes = 0;
  auto flush = [&] {
    if (batch.empty()) return;
    failure = sink->send(batch, tally);
    batch.clear();
    batch_bytes = 0;
  };

  SourceItem item;
  while (failure.ok() && source->next(item)) {
    ++tally.records;
    if (!item.error.ok()) {
      tally.reject(item.line, item.error);
    } else {
      // The same validation as the server's, so a bad record is named here, with its line,
      // and the batch it would have spoiled goes through.
      auto parsed = parse_execution(item.json, now_us());
      if (!parsed.ok()) {
        tally.reject(item.line, parsed.status());
      } else {
        batch_bytes += item.json.size() + 1;
        Pending p{item.line, f.client.db ? std::string() : std::move(item.json), Execution{}};
        if (f.client.db) p.execution = std::move(parsed).value();
        batch.push_back(std::move(p));
        if (batch.size() >= f.batch_size || batch_bytes >= kMaxBatchBytes) flush();
      }
    }
    progress.update(tally, source->lines_read(), source->bytes_read());
  }
  if (failure.ok()) flush();
  progress.update(tally, source->lines_read(), source->bytes_read(), true);
  progress.finish();
  sink.reset();  // the store writer commits and stops before the time is taken
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();

  print_summary(f, tally, seconds, failure);
  if (!failure.ok()) {
    std::cerr << "error: " << failure.message() << '\n'
              << "the import stopped at line " << source->lines_read()
              << "; records before the failed batch are stored, run it again to finish (stored records count as "
                 "duplicates)\n";
    return kExitFailure;
  }
  if (tally.records > 0 && tally.rejected == tally.records) {
    std::cerr << "error: every record was rejected; nothing was imported\n";
    return kExitInvalidInput;
  }
  return kExitOk;
}

}  // namespace

void register_import_command(CLI::App& app) {
  auto flags = std::make_shared<ImportFlags>();
  CLI::App* cmd = app.add_subcommand("import", "Import executions from a JSONL or CSV file");
  cmd->footer(
      "JSONL: one execution (a JSON object, as POST /agent/performance takes it) per line.\n"
      "CSV: a header row names the columns: agent_id, task_id, execution_time, success,\n"
      "task_description, task_type, execution_id, recommendation_id, timestamp, and\n"
      "context.NAME / metrics.NAME for members of context and metrics (numbers, true/false,\n"
      "or text; an empty cell leaves the member out), or context / metrics holding a whole JSON\n"
      "object. success takes true/false, 1/0, yes/no.\n"
      "Records are checked before sending; refused ones are listed with their line numbers.\n"
      "Exit status: 0 done (even with some records rejected), 2 every record was rejected or the\n"
      "file is unusable, 1 the server or store failed.\n");
  add_client_options(*cmd, flags->client);
  cmd->add_option("file", flags->file, "JSONL or CSV file; - reads standard input")->required();
  cmd->add_option("--format", flags->format, "jsonl or csv (default: csv for *.csv, else jsonl)")
      ->check(CLI::IsMember({"jsonl", "csv"}));
  cmd->add_option("--batch-size", flags->batch_size, "Records per request (or transaction with --db)")
      ->capture_default_str()
      ->check(CLI::Range(1, 10000));
  cmd->add_option("--retry-seconds", flags->retry_seconds,
                  "How long to keep retrying a batch while the server answers 503")
      ->capture_default_str()
      ->check(CLI::Range(0, 3600));
  cmd->add_flag("--no-progress", flags->no_progress, "Do not show the progress line (shown only on a terminal)");
  cmd->callback([flags] {
    int code = run_import(*flags);
    if (code != kExitOk) throw CLI::RuntimeError(code);
  });
}

}  // namespace agentlearn
