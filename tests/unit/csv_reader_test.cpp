// CsvReader (RFC 4180) and the CSV-to-execution mapping of `agentlearn import`.
#include "app/csv_reader.hpp"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "app/csv_record_mapper.hpp"
#include "core/execution_json.hpp"

namespace agentlearn {
namespace {

using Rows = std::vector<std::vector<std::string>>;

// Reads everything; a malformed record fails the test unless `errors` collects it.
Rows read_all(const std::string& text, std::vector<CsvError>* errors = nullptr, CsvOptions options = {},
              std::vector<size_t>* lines = nullptr) {
  std::istringstream in(text);
  CsvReader reader(in, options);
  Rows rows;
  std::vector<std::string> fields;
  for (int guard = 0; guard < 100000; ++guard) {
    auto got = reader.next(fields);
    if (!got.ok()) {
      EXPECT_NE(errors, nullptr) << got.status().message();
      if (errors) errors->push_back(reader.last_error());
      continue;
    }
    if (!*got) break;
    rows.push_back(fields);
    if (lines) lines->push_back(reader.record_line());
  }
  return rows;
}

TEST(CsvReader, PlainRecordsAndEmptyFields) {
  EXPECT_EQ(read_all("a,b,c\n1,,3\n,,\n"), (Rows{{"a", "b", "c"}, {"1", "", "3"}, {"", "", ""}}));
}

TEST(CsvReader, LastRecordWithoutLineEnd) {
  EXPECT_EQ(read_all("a,b\n1,2"), (Rows{{"a", "b"}, {"1", "2"}}));
}

TEST(CsvReader, QuotedCommasAndDoubledQuotes) {
  EXPECT_EQ(read_all("x,y\n\"a, b\",\"he said \"\"hi\"\"\"\n\"\",\"\"\"\"\n"),
            (Rows{{"x", "y"}, {"a, b", "he said \"hi\""}, {"", "\""}}));
}

TEST(CsvReader, EmbeddedNewlinesKeepLineNumbers) {
  std::vector<size_t> lines;
  Rows rows = read_all("id,text\n1,\"first\nsecond\r\nthird\"\n2,plain\n", nullptr, {}, &lines);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[1][1], "first\nsecond\r\nthird");  // inside quotes, line ends are data, kept as written
  EXPECT_EQ(rows[2], (std::vector<std::string>{"2", "plain"}));
  EXPECT_EQ(lines, (std::vector<size_t>{1, 2, 5}));
}

TEST(CsvReader, CrlfAndLoneCrLineEnds) {
  std::vector<size_t> lines;
  EXPECT_EQ(read_all("a,b\r\n1,2\r\n3,4\r5,6\r\n", nullptr, {}, &lines),
            (Rows{{"a", "b"}, {"1", "2"}, {"3", "4"}, {"5", "6"}}));
  EXPECT_EQ(lines, (std::vector<size_t>{1, 2, 3, 4}));
}

TEST(CsvReader, ByteOrderMarkIsSkipped) {
  EXPECT_EQ(read_all("\xEF\xBB\xBF" "agent_id,task_id\r\na,t\r\n"), (Rows{{"agent_id", "task_id"}, {"a", "t"}}));
  // Only at the very start; short inputs do not confuse it.
  EXPECT_EQ(read_all("\xEF\xBB"), (Rows{{"\xEF\xBB"}}));
  EXPECT_EQ(read_all(""), Rows{});
}

TEST(CsvReader, BlankLinesAreSkipped) {
  std::vector<size_t> lines;
  EXPECT_EQ(read_all("a,b\n\n1,2\r\n\r\n3,4\n\n", nullptr, {}, &lines), (Rows{{"a", "b"}, {"1", "2"}, {"3", "4"}}));
  EXPECT_EQ(lines, (std::vector<size_t>{1, 3, 5}));
}

TEST(CsvReader, QuoteInsideUnquotedFieldIsKept) {
  EXPECT_EQ(read_all("a,b\n5\" disk,x\n"), (Rows{{"a", "b"}, {"5\" disk", "x"}}));
}

TEST(CsvReader, RaggedRowIsAnErrorWithItsLineAndReadingGoesOn) {
  std::vector<CsvError> errors;
  Rows rows = read_all("a,b,c\n1,2,3\n\"multi\nline\",2\n4,5,6\n7,8,9,10\n", &errors);
  EXPECT_EQ(rows, (Rows{{"a", "b", "c"}, {"1", "2", "3"}, {"4", "5", "6"}}));
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].line, 3u);
  EXPECT_NE(errors[0].message.find("expected 3 fields"), std::string::npos) << errors[0].message;
  EXPECT_NE(errors[0].message.find("found 2"), std::string::npos) << errors[0].message;
  EXPECT_EQ(errors[1].line, 6u);

  std::istringstream in("a,b\n1\n");
  CsvReader reader(in);
  std::vector<std::string> fields;
  ASSERT_TRUE(reader.next(fields).ok());
  auto bad = reader.next(fields);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message().rfind("line 2: ", 0), 0u) << bad.status().message();
}

TEST(CsvReader, RaggedRowsAllowedWhenAsked) {
  CsvOptions options;
  options.require_same_width = false;
  EXPECT_EQ(read_all("a,b\n1\n", nullptr, options), (Rows{{"a", "b"}, {"1"}}));
}

TEST(CsvReader, TextAfterClosingQuoteIsAnError) {
  std::vector<CsvError> errors;
  Rows rows = read_all("a,b\n\"x\"y,2\n3,4\n", &errors);
  EXPECT_EQ(rows, (Rows{{"a", "b"}, {"3", "4"}}));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].line, 2u);
  EXPECT_NE(errors[0].message.find("closing quote"), std::string::npos) << errors[0].message;
}

TEST(CsvReader, UnclosedQuoteIsAnErrorAtItsStartLine) {
  std::vector<CsvError> errors;
  Rows rows = read_all("a,b\n1,2\n3,\"never\nclosed,4\n5,6\n", &errors);
  EXPECT_EQ(rows, (Rows{{"a", "b"}, {"1", "2"}}));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].line, 3u);
  EXPECT_NE(errors[0].message.find("never closed"), std::string::npos) << errors[0].message;
}

TEST(CsvReader, OversizedRecordStopsReading) {
  CsvOptions options;
  options.max_record_bytes = 100;
  std::vector<CsvError> errors;
  Rows rows = read_all("a\n\"" + std::string(500, 'x') + "\"\nb\n", &errors, options);
  EXPECT_EQ(rows, (Rows{{"a"}}));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].line, 2u);
}

TEST(CsvReader, FieldsSpanningChunkBoundaries) {
  // Larger than the reader's 64 KiB chunks, with quotes and line ends right at the edges.
  std::string big_quoted;
  for (int i = 0; i < 30000; ++i) big_quoted += i % 7 == 0 ? "\"\"" : (i % 11 == 0 ? "\r\n" : "ab");
  std::string expected_quoted;
  for (int i = 0; i < 30000; ++i) expected_quoted += i % 7 == 0 ? "\"" : (i % 11 == 0 ? "\r\n" : "ab");
  std::string big_plain(150000, 'z');
  std::string text = "q,p\n\"" + big_quoted + "\"," + big_plain + "\r\nlast,row\r\n";
  Rows rows = read_all(text);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[1][0], expected_quoted);
  EXPECT_EQ(rows[1][1], big_plain);
  EXPECT_EQ(rows[2], (std::vector<std::string>{"last", "row"}));
}

TEST(CsvReader, BytesAndLinesAreCounted) {
  std::string text = "a,b\n1,\"x\ny\"\n";
  std::istringstream in(text);
  CsvReader reader(in);
  std::vector<std::string> fields;
  while (true) {
    auto got = reader.next(fields);
    ASSERT_TRUE(got.ok());
    if (!*got) break;
  }
  EXPECT_EQ(reader.bytes_read(), text.size());
  EXPECT_EQ(reader.current_line(), 4u);
}

// The real data set: 500 SWE-bench Verified tasks whose texts hold quoted newlines.
TEST(CsvReader, ReadsSwebenchTasks) {
  std::filesystem::path path = std::filesystem::path(AGENTLEARN_SHARED_DATA) / "swebench-verified" / "tasks.csv";
  // The shared data belongs to the project: a missing file is a failure, never a skip.
  ASSERT_TRUE(std::filesystem::exists(path)) << path << " is missing (AGENTLEARN_SHARED_DATA)";
  std::ifstream in(path, std::ios::binary);
  ASSERT_TRUE(in);
  CsvReader reader(in);
  std::vector<std::string> fields;
  auto header = reader.next(fields);
  ASSERT_TRUE(header.ok() && *header);
  EXPECT_EQ(fields, (std::vector<std::string>{"instance_id", "repo", "difficulty", "underspecified",
                                               "false_negative", "task_text"}));
  size_t rows = 0, multiline = 0;
  std::vector<std::string> first;
  for (;;) {
    auto got = reader.next(fields);
    ASSERT_TRUE(got.ok()) << got.status().message();
    if (!*got) break;
    if (rows == 0) first = fields;
    ++rows;
    ASSERT_EQ(fields.size(), 6u) << "line " << reader.record_line();
    EXPECT_NE(fields[0].find("__"), std::string::npos) << "line " << reader.record_line() << ": " << fields[0];
    if (fields[5].find('\n') != std::string::npos) ++multiline;
  }
  EXPECT_EQ(rows, 500u);
  EXPECT_GT(multiline, 0u);
  ASSERT_EQ(first.size(), 6u);
  EXPECT_EQ(first[0], "astropy__astropy-12907");
  EXPECT_EQ(first[1], "astropy/astropy");
  EXPECT_EQ(first[2], "15 min - 1 hour");
  EXPECT_EQ(first[5].rfind("The issue description is clear", 0), 0u);
  EXPECT_NE(first[5].find("nested models. \nIt provides"), std::string::npos);
}

// ---------------------------------------------------------------------------------------
// CsvRecordMapper: one CSV record to one execution's JSON.

simdjson::dom::element parse(simdjson::dom::parser& parser, const std::string& json) {
  simdjson::dom::element doc;
  EXPECT_EQ(parser.parse(json).get(doc), simdjson::SUCCESS) << json;
  return doc;
}

TEST(CsvRecordMapper, TypesCells) {
  auto m = CsvRecordMapper::from_header({"agent_id", " task_id ", "execution_time", "success", "task_description",
                                         "context.difficulty", "context.priority", "context.flag", "context.empty",
                                         "metrics.cost_usd", "metrics.tokens", "metrics.note"});
  ASSERT_TRUE(m.ok()) << m.status().message();
  auto json = m->to_json({"a1", "t1", " 12.5 ", "YES", "fix, \"it\"\nnow", "hard", "3", "TRUE", "", "0.25", "1200",
                          "nan"});
  ASSERT_TRUE(json.ok()) << json.status().message();
  simdjson::dom::parser parser;
  auto doc = parse(parser, *json);
  EXPECT_EQ(std::string_view(doc["agent_id"]), "a1");
  EXPECT_EQ(std::string_view(doc["task_id"]), "t1");
  EXPECT_EQ(double(doc["execution_time"]), 12.5);
  EXPECT_TRUE(bool(doc["success"]));
  EXPECT_EQ(std::string_view(doc["task_description"]), "fix, \"it\"\nnow");
  EXPECT_EQ(std::string_view(doc["context"]["difficulty"]), "hard");
  EXPECT_EQ(int64_t(doc["context"]["priority"]), 3);
  EXPECT_TRUE(bool(doc["context"]["flag"]));
  EXPECT_EQ(doc["context"]["empty"].error(), simdjson::NO_SUCH_FIELD);
  EXPECT_EQ(double(doc["metrics"]["cost_usd"]), 0.25);
  EXPECT_EQ(int64_t(doc["metrics"]["tokens"]), 1200);
  EXPECT_EQ(std::string_view(doc["metrics"]["note"]), "nan");  // not a finite number: text
  // And the server's validator accepts it as is.
  auto e = parse_execution(*json, 0);
  ASSERT_TRUE(e.ok()) << e.status().message();
  EXPECT_EQ(e->cost_usd, 0.25);
}

TEST(CsvRecordMapper, EmptyCellsAreAbsent) {
  auto m = CsvRecordMapper::from_header({"agent_id", "task_id", "execution_time", "success", "task_type",
                                         "metrics.cost_usd"});
  ASSERT_TRUE(m.ok());
  auto json = m->to_json({"a", "t", "1", "0", "", ""});
  ASSERT_TRUE(json.ok());
  EXPECT_EQ(*json, R"({"agent_id":"a","task_id":"t","execution_time":1,"success":false})");
  // A missing required value is then named by the validator.
  auto missing = m->to_json({"", "t", "1", "0", "", ""});
  ASSERT_TRUE(missing.ok());
  auto e = parse_execution(*missing, 0);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().field(), "agent_id");
}

TEST(CsvRecordMapper, NumbersKeepTheirJsonSpelling) {
  auto m = CsvRecordMapper::from_header({"agent_id", "task_id", "execution_time", "success", "context.a",
                                         "context.b", "context.c", "context.d", "context.e", "context.f",
                                         "context.g", "context.h"});
  ASSERT_TRUE(m.ok());
  auto json = m->to_json({"x", "y", "14.0", "true", "1.0", "007", "+5", ".5", "1e3", "-0", "12345678901234567890123",
                          "1e999"});
  ASSERT_TRUE(json.ok()) << json.status().message();
  EXPECT_NE(json->find(R"("execution_time":14.0)"), std::string::npos) << *json;
  EXPECT_NE(json->find(R"("context":{"a":1.0,"b":7,"c":5,"d":0.5,"e":1e3,"f":-0,"g":1.2345678901234568e+22,"h":"1e999"})"),
            std::string::npos)
      << *json;
  EXPECT_TRUE(parse_execution(*json, 0).ok());
}

TEST(CsvRecordMapper, BadValuesNameTheField) {
  auto m = CsvRecordMapper::from_header({"agent_id", "task_id", "execution_time", "success", "context"});
  ASSERT_TRUE(m.ok());
  auto t = m->to_json({"a", "t", "fast", "true", ""});
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().field(), "execution_time");
  EXPECT_NE(t.status().message().find("'fast'"), std::string::npos);
  auto s = m->to_json({"a", "t", "1", "maybe", ""});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().field(), "success");
  auto c = m->to_json({"a", "t", "1", "true", "{not json"});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().field(), "context");
  auto ok = m->to_json({"a", "t", "1", "true", R"({"k":[1,2]})"});
  ASSERT_TRUE(ok.ok());
  EXPECT_NE(ok->find(R"("context":{"k":[1,2]})"), std::string::npos) << *ok;
  auto ragged = m->to_json({"a", "t"});
  ASSERT_FALSE(ragged.ok());
}

TEST(CsvRecordMapper, BadHeaders) {
  EXPECT_FALSE(CsvRecordMapper::from_header({"agent_id", "agent"}).ok());
  EXPECT_FALSE(CsvRecordMapper::from_header({"agent_id", "agent_id"}).ok());
  EXPECT_FALSE(CsvRecordMapper::from_header({"agent_id", ""}).ok());
  EXPECT_FALSE(CsvRecordMapper::from_header({"context.", "task_id"}).ok());
  EXPECT_FALSE(CsvRecordMapper::from_header({"context", "context.a"}).ok());
  auto unknown = CsvRecordMapper::from_header({"agent"});
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("'agent'"), std::string::npos);
}

}  // namespace
}  // namespace agentlearn
