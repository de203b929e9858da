// Idempotency planning (store/write_plan.hpp) as the pure function it is: requests and the
// stored rows in, inserts, duplicates and conflicts out, checked without a store or a thread.
#include "store/write_plan.hpp"

#include <gtest/gtest.h>

#include "keyed_record.hpp"

namespace agentlearn {
namespace {

Execution rec(std::optional<std::string> id, std::string hash) { return testing::keyed_record(std::move(id), std::move(hash)); }

struct Planned {
  std::vector<std::vector<Execution>> requests;
  std::vector<std::span<const Execution>> spans;
  std::vector<std::string> ids;
  WritePlan plan;
};

// Plans `requests` against a store holding `stored` (execution_id -> id, hash).
Planned plan_of(std::vector<std::vector<Execution>> requests,
                const std::vector<std::pair<std::string, ExistingExecution>>& stored = {}) {
  Planned p;
  p.requests = std::move(requests);
  for (const auto& r : p.requests) p.spans.emplace_back(r);
  p.ids = execution_ids_of(p.spans);
  std::vector<std::optional<ExistingExecution>> existing(p.ids.size());
  for (size_t i = 0; i < p.ids.size(); ++i) {
    for (const auto& [id, row] : stored) {
      if (id == p.ids[i]) existing[i] = row;
    }
  }
  p.plan = plan_group_write(p.spans, p.ids, existing);
  return p;
}

TEST(WritePlan, RecordsWithoutAnExecutionIdAreAlwaysInserted) {
  auto p = plan_of({{rec(std::nullopt, "h1"), rec(std::nullopt, "h1")}, {rec(std::nullopt, "h2")}});
  EXPECT_TRUE(p.ids.empty());
  ASSERT_EQ(p.plan.to_insert.size(), 3u);
  EXPECT_EQ(p.plan.to_insert[2], &p.requests[1][0]);
  EXPECT_EQ(p.plan.resolve(0, {10, 11, 12}), (std::vector<int64_t>{10, 11}));
  EXPECT_EQ(p.plan.resolve(1, {10, 11, 12}), (std::vector<int64_t>{12}));
  EXPECT_EQ(p.plan.requests[0].duplicate, (std::vector<bool>{false, false}));
}

TEST(WritePlan, AStoredIdWithTheSameContentIsADuplicateAndOtherContentAConflict) {
  auto p = plan_of({{rec("x", "hx"), rec("new", "hn")}, {rec("y", "other"), rec("z", "hz")}},
                   {{"x", ExistingExecution{7, "hx"}}, {"y", ExistingExecution{8, "hy"}}});
  // Request 0: x answers the stored id, "new" is inserted.
  ASSERT_EQ(p.plan.to_insert.size(), 1u);
  EXPECT_EQ(p.plan.to_insert[0]->execution_id, std::optional<std::string>("new"));
  EXPECT_TRUE(p.plan.requests[0].conflicts.empty());
  EXPECT_EQ(p.plan.requests[0].duplicate, (std::vector<bool>{true, false}));
  EXPECT_EQ(p.plan.resolve(0, {50}), (std::vector<int64_t>{7, 50}));
  // Request 1: y holds other content, so the request stores nothing, z included.
  ASSERT_EQ(p.plan.requests[1].conflicts.size(), 1u);
  EXPECT_EQ(p.plan.requests[1].conflicts[0].index, 0u);
  EXPECT_EQ(p.plan.requests[1].conflicts[0].field, "execution_id");
  EXPECT_NE(p.plan.requests[1].conflicts[0].message.find("'y'"), std::string::npos);
}

TEST(WritePlan, RepeatsInsideTheGroupAnswerTheFirstInsertsId) {
  auto p = plan_of({{rec("a", "h"), rec("a", "h")}, {rec("a", "h")}, {rec("a", "different")}});
  ASSERT_EQ(p.plan.to_insert.size(), 1u) << "one row for three records of one execution_id";
  EXPECT_EQ(p.plan.resolve(0, {90}), (std::vector<int64_t>{90, 90}));
  EXPECT_EQ(p.plan.requests[0].duplicate, (std::vector<bool>{false, true}));
  EXPECT_EQ(p.plan.resolve(1, {90}), (std::vector<int64_t>{90}));
  EXPECT_EQ(p.plan.requests[1].duplicate, (std::vector<bool>{true}));
  ASSERT_EQ(p.plan.requests[2].conflicts.size(), 1u);
}

TEST(WritePlan, ARequestThatConflictsLeavesItsNewIdsFreeForLaterRequests) {
  // Request 0 would insert "n" but conflicts on "x": nothing of it is stored, so request 1's
  // "n" is a new row, not a duplicate of a row that will never exist.
  auto p = plan_of({{rec("n", "h1"), rec("x", "bad")}, {rec("n", "h2")}}, {{"x", ExistingExecution{3, "hx"}}});
  ASSERT_EQ(p.plan.requests[0].conflicts.size(), 1u);
  EXPECT_EQ(p.plan.requests[0].conflicts[0].index, 1u);
  ASSERT_EQ(p.plan.to_insert.size(), 1u);
  EXPECT_EQ(p.plan.to_insert[0], &p.requests[1][0]);
  EXPECT_TRUE(p.plan.requests[1].conflicts.empty());
  EXPECT_EQ(p.plan.resolve(1, {21}), (std::vector<int64_t>{21}));
  EXPECT_EQ(p.plan.requests[1].duplicate, (std::vector<bool>{false}));
}

}  // namespace
}  // namespace agentlearn
