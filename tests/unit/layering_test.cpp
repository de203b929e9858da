// The layering of src/, checked: every `#include "layer/..."` under src/ against the layer
// table of docs/architecture.md (its fenced block lists the folders top layer first). A file
// may include its own layer and any layer below it, never one above; a folder described as
// "beside the layers" (metrics/) may be included from anywhere and itself includes only the
// bottom layer. The doc is the input, so moving a layer is one edit there and the test follows.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace agentlearn {
namespace {

namespace fs = std::filesystem;

struct Layers {
  std::vector<std::string> order;      // top first
  std::vector<std::string> beside;     // includable from anywhere
};

// The folders of the first fenced block of architecture.md: lines "name/   description".
Layers read_layers(const std::string& doc) {
  Layers out;
  std::istringstream in(doc);
  std::string line;
  bool in_block = false;
  const std::regex row(R"(^([a-z]+)/\s+(.*)$)");
  while (std::getline(in, line)) {
    if (line.rfind("```", 0) == 0) {
      if (in_block) break;
      in_block = true;
      continue;
    }
    std::smatch m;
    if (!in_block || !std::regex_match(line, m, row)) continue;
    (m[2].str().find("beside the layers") != std::string::npos ? out.beside : out.order).push_back(m[1]);
  }
  return out;
}

struct Include {
  std::string file;  // relative to src/
  int line = 0;
  std::string from, to;  // layers
};

// Which includes break the layering, as "file:line: from includes to".
std::vector<std::string> violations(const Layers& layers, const std::vector<Include>& includes) {
  auto rank = [&](const std::string& layer) -> int {
    auto it = std::find(layers.order.begin(), layers.order.end(), layer);
    return it == layers.order.end() ? -1 : static_cast<int>(it - layers.order.begin());
  };
  auto is_beside = [&](const std::string& layer) {
    return std::find(layers.beside.begin(), layers.beside.end(), layer) != layers.beside.end();
  };
  std::vector<std::string> out;
  for (const Include& inc : includes) {
    if (inc.from == inc.to) continue;
    bool ok;
    if (is_beside(inc.to)) {
      ok = true;
    } else if (is_beside(inc.from)) {
      ok = !layers.order.empty() && inc.to == layers.order.back();
    } else {
      const int from = rank(inc.from), to = rank(inc.to);
      ok = from >= 0 && to >= 0 && to > from;  // a larger rank is further down
    }
    if (!ok) out.push_back(inc.file + ":" + std::to_string(inc.line) + ": " + inc.from + " includes " + inc.to);
  }
  return out;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Calls fn(path relative to `dir`, line number, line) for every line of every source file
// under `dir`; returns how many files it read.
size_t for_each_source_line(const fs::path& dir,
                            const std::function<void(const std::string&, int, const std::string&)>& fn) {
  size_t files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    const auto ext = entry.path().extension();
    if (ext != ".cpp" && ext != ".hpp" && ext != ".h") continue;
    ++files;
    const std::string rel = fs::relative(entry.path(), dir).string();
    std::istringstream in(read_file(entry.path()));
    std::string line;
    for (int n = 1; std::getline(in, line); ++n) fn(rel, n, line);
  }
  return files;
}

std::vector<Include> includes_under(const fs::path& src) {
  std::vector<Include> out;
  const std::regex inc(R"(^\s*#\s*include\s+"([a-z_]+)/)");
  for_each_source_line(src, [&](const std::string& rel, int n, const std::string& line) {
    std::smatch m;
    if (std::regex_search(line, m, inc)) out.push_back({rel, n, rel.substr(0, rel.find('/')), m[1]});
  });
  return out;
}

const fs::path kRoot = AGENTLEARN_SOURCE_DIR;

TEST(Layering, TheTableListsEveryFolderUnderSrc) {
  const Layers layers = read_layers(read_file(kRoot / "docs/architecture.md"));
  ASSERT_GE(layers.order.size(), 5u) << "the layer table was not found in docs/architecture.md";
  std::vector<std::string> listed = layers.order;
  listed.insert(listed.end(), layers.beside.begin(), layers.beside.end());
  for (const auto& entry : fs::directory_iterator(kRoot / "src")) {
    if (!entry.is_directory()) continue;
    const std::string name = entry.path().filename().string();
    EXPECT_NE(std::find(listed.begin(), listed.end(), name), listed.end())
        << "src/" << name << " is not in docs/architecture.md's layer table";
  }
}

TEST(Layering, NoFileUnderSrcIncludesALayerAboveItsOwn) {
  const Layers layers = read_layers(read_file(kRoot / "docs/architecture.md"));
  ASSERT_FALSE(layers.order.empty());
  const auto includes = includes_under(kRoot / "src");
  ASSERT_GT(includes.size(), 100u) << "the includes under src/ were not read";
  const auto bad = violations(layers, includes);
  std::string list;
  for (const auto& v : bad) list += "\n  " + v;
  EXPECT_TRUE(bad.empty()) << bad.size() << " include(s) of a layer above:" << list;
}

TEST(Layering, TheCheckCatchesAnIncludeUpwardsAndAllowsTheRest) {
  const Layers layers = read_layers(
      "text\n```\napp/      top\nservice/  middle\n  continued description\nstore/    lower\n"
      "core/     bottom\nmetrics/  counters (beside the layers; everything may use it)\n```\nafter/ no\n");
  ASSERT_EQ(layers.order, (std::vector<std::string>{"app", "service", "store", "core"}));
  ASSERT_EQ(layers.beside, (std::vector<std::string>{"metrics"}));
  const std::vector<Include> fine = {{"app/a.cpp", 1, "app", "service"},  {"service/s.cpp", 2, "service", "core"},
                                     {"store/x.hpp", 3, "store", "store"}, {"core/c.cpp", 4, "core", "metrics"},
                                     {"metrics/m.cpp", 5, "metrics", "core"}};
  EXPECT_TRUE(violations(layers, fine).empty());
  const std::vector<Include> bad = {{"store/w.cpp", 7, "store", "service"},
                                    {"core/t.hpp", 8, "core", "app"},
                                    {"metrics/m.cpp", 9, "metrics", "store"},
                                    {"store/u.cpp", 10, "store", "nowhere"}};
  EXPECT_EQ(violations(layers, bad),
            (std::vector<std::string>{"store/w.cpp:7: store includes service", "core/t.hpp:8: core includes app",
                                      "metrics/m.cpp:9: metrics includes store",
                                      "store/u.cpp:10: store includes nowhere"}));
}

// The routes see the store's row records (StoredRow, ModelSetRecord, ...) through LearningApi,
// and nothing that reads or writes a store: no file under src/http names one.
TEST(Layering, HttpNamesNoStoreAndNoWriter) {
  const std::regex store_api(
      R"(\b(Store|ExecutionStore|ModelStore|EmbeddingStore|SettingStore|RecommendationLogStore|AnalyticsStore|)"
      R"(AnalyticsSnapshot|StoreWriter|EmbeddingWriter|GroupWriter|SqliteStore|PostgresStore|open_store)\b)");
  // The pattern itself: interfaces caught, records not.
  ASSERT_TRUE(std::regex_search("void f(ExecutionStore& s);", store_api));
  ASSERT_TRUE(std::regex_search("auto s = open_store(url);", store_api));
  ASSERT_FALSE(std::regex_search("const StoredRow& r; ModelSetRecord m; StoreWriterStats x;", store_api));
  const size_t files =
      for_each_source_line(kRoot / "src/http", [&](const std::string& rel, int n, const std::string& line) {
        std::smatch m;
        if (line.find("//") == 0) return;
        EXPECT_FALSE(std::regex_search(line, m, store_api)) << rel << ":" << n << " names " << m.str() << ": " << line;
      });
  EXPECT_GT(files, 10u) << "src/http was not read";
}

}  // namespace
}  // namespace agentlearn
