#pragma once
// The one feature builder behind the agent selector and the performance predictor, used
// the same way in training and in serving, so the models never see features at request time
// that differ from what they learned on.
//
// It only reads what a recommend request carries: the task's text (through its embedding),
// task_type, the `context` members, and the candidate agent_id. Outcomes (execution_time,
// success, metrics) of the row being described are never read; what the builder knows of
// outcomes are statistics fitted once on the training rows: each agent's smoothed success
// rate, mean log time and mean log cost, overall, per task_type and per categorical context
// value, and the same per task_type and context value over all agents (how hard such tasks
// are). The gain over one-hot agent ids (the scikit-learn reference's features) lies here.
//
// Unknown agents, unseen task types and values, and missing context fall back to the
// enclosing prior (agent -> global, agent x type -> agent), never to an error.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/execution.hpp"
#include "core/status.hpp"
#include "ml/byte_io.hpp"
#include "ml/dense_matrix.hpp"
#include "ml/text_clusters.hpp"

namespace agentlearn::ml {

// What a recommendation request carries about a task (and what a stored execution carries
// of the same fields).
struct TaskQuery {
  std::string_view description;
  std::string_view task_type;     // empty: none
  std::string_view context_json;  // a JSON object; empty or "{}": none
};

// The query part of a stored execution (no outcome fields).
TaskQuery task_query_of(const Execution& e);

struct FeatureParams {
  double smoothing = 5;       // pseudo-count pulling a group's rate toward its prior
  int max_context_keys = 8;   // most frequent context members used as features
  // Leading embedding dimensions used as features (0: none). Off by default: on the
  // SWE-bench runs (5-fold by task) 256 dimensions lowered the selector's AUC from 0.745 to
  // 0.728 and made it 20x slower to train, 8 and 32 gave 0.730 and 0.726: with a few
  // hundred distinct texts the trees learn which task a text is, not what makes it hard
  // (docs/models.md). The text still reaches the features through the classifier's
  // task_type when a request has none.
  int text_dimensions = 0;
  int training_folds = 5;  // out-of-fold statistics for training rows (training_rows())
  // Clusters of the training tasks' text embeddings (0: none). With them the builder adds
  // one more group, "text_cluster": how every agent did on the tasks whose texts are most like
  // this one (ml/text_clusters.hpp), as a task feature, a selector feature and a routing rule.
  // 64 (docs/learning.md): routing from the text alone on routerdc rose from the best single
  // model's 0.607 to 0.622; with task types given the figures moved within their noise.
  int text_clusters = 64;
};

// Running sums of outcomes for one group of executions.
struct OutcomeTally {
  double runs = 0;
  double successes = 0;
  double time_runs = 0;
  double sum_log_time = 0;
  double cost_runs = 0;
  double sum_log_cost = 0;
  void add(bool success, double execution_time, std::optional<double> cost_usd);
  // This tally without `part` (a subset of what was added to it).
  OutcomeTally minus(const OutcomeTally& part) const;
  void write(ByteWriter& w) const;
  static OutcomeTally read(ByteReader& r);
  static constexpr size_t kSerializedBytes = 6 * sizeof(double);
};

// A task described once; reused for every candidate agent (the expensive part of a
// recommendation's features is per task, not per agent).
struct PreparedTask {
  std::vector<float> task_part;               // features that do not depend on the agent
  std::vector<uint64_t> agent_group_keys;     // per agent-dependent group: the task's value key
};

class FeatureBuilder {
 public:
  FeatureBuilder() = default;
  // Fits the statistics and the context schema on training rows. `embeddings[i]` is row i's
  // text vector (may be empty; needed only with text_clusters).
  static StatusOr<FeatureBuilder> fit(std::span<const Execution> rows, const FeatureParams& params,
                                      std::span<const std::vector<float>> embeddings = {});

  size_t width() const { return task_width_ + agent_width_; }
  size_t embedding_width() const { return static_cast<size_t>(text_dims_); }
  // Whether prepare() reads the text's embedding (embedding dimensions or text clusters).
  bool needs_embedding() const { return text_dims_ > 0 || clusters_.count() > 0; }
  const TextClusters& text_clusters() const { return clusters_; }
  // One readable name per feature column, for reports and importance tables.
  std::vector<std::string> names() const;

  // `embedding` is the task text's vector (missing dimensions read as NaN).
  PreparedTask prepare(const TaskQuery& task, std::span<const float> embedding) const;
  // Writes the features of (task, agent) into `out` (width() floats).
  void fill(const PreparedTask& task, std::string_view agent_id, std::span<float> out) const;
  // Convenience: prepare + fill one row.
  std::vector<float> build(const TaskQuery& task, std::span<const float> embedding, std::string_view agent_id) const;

  // The feature rows to train on, with out-of-fold statistics: tasks are dealt to
  // `training_folds` folds by a hash of task_id, and each row's statistics leave out its
  // own fold, so a training row sees what a recommend request for its task would have seen
  // had the task not run yet (no run of the task itself is ever in its features). Without
  // this a group's rate holds the row's own outcome (target leakage) and the trees learn to
  // trust small groups' rates. Folds rather than leaving out just the row's task: with
  // leave-one-out, a small group's rate is lower exactly for its successes (the rate minus
  // the row's own outcome), a pattern the trees learn and requests never show
  // (docs/models.md has the measurements). `embeddings[i]` is row i's vector (may be empty).
  DenseMatrix training_rows(std::span<const Execution> rows, std::span<const std::vector<float>> embeddings) const;
  // The fold training_rows() puts a task in, of training_folds().
  size_t training_fold(std::string_view task_id) const;
  int training_folds() const { return params_.training_folds; }

  // The agent's smoothed success rate overall and for the task type (the rules' view).
  double agent_success_rate(std::string_view agent_id, std::string_view task_type) const;

  // The agent groups a feature row describes, in column order: 0 the agent over all its
  // runs, 1 the agent on the task's task_type, then the agent on the task's value of each
  // categorical context member (in context_keys() order, numeric members skipped), then
  // with text clusters the agent on the task's text cluster. Each is
  // smoothed toward the one before it (the agent's own figures toward everyone's), so a rule
  // "the best agent per <group>" reads its estimate straight from a feature row, and reads an
  // out-of-fold estimate from a training_rows() row.
  size_t agent_group_count() const { return agent_width_ / kAgentGroupWidth; }
  // "agent", "task_type", "context.<name>", "text_cluster".
  std::string agent_group_name(size_t group) const;
  struct GroupOutcome {
    double success_rate = 0;
    double runs = 0;           // the group's own runs (before smoothing)
    double mean_log_time = 0;  // smoothed, on outcome_scale's log scale
    double mean_log_cost = 0;  // NaN when no run anywhere had a cost
  };
  GroupOutcome agent_group(std::span<const float> row, size_t group) const;
  static constexpr size_t kAgentGroupWidth = 4;  // rate, log1p(runs), mean log time, mean log cost
  // Agents seen in training, with their run counts.
  const std::vector<std::pair<std::string, double>>& agents() const { return agents_; }
  // Per feature column: +1 where P(success) should not fall as the value rises (every
  // smoothed success rate: the agent's and the task's groups'), else 0. The selector trains
  // under these monotone constraints (docs/models.md).
  std::vector<int> success_monotonicity() const;
  // The columns the agent selector trains on and predicts from (ascending): every task
  // column, and of each agent-dependent group only its success rate. The agent groups'
  // run counts, mean log time and mean log cost go to the performance predictor only: to the
  // selector they are unconstrained stand-ins for the agent's identity (no monotone
  // constraint applies to them), which let the trees rank agents by noise in small cells
  // (docs/models.md: mean routed success over five split seeds 0.734 -> 0.739).
  const std::vector<size_t>& selector_columns() const { return selector_columns_; }
  // success_monotonicity() of the selector's columns, in their order.
  std::vector<int> selector_monotonicity() const;
  // Context members used, and whether each is numeric.
  struct ContextKey {
    std::string name;
    bool numeric = false;
  };
  const std::vector<ContextKey>& context_keys() const { return context_keys_; }

  std::string serialize() const;
  static StatusOr<FeatureBuilder> deserialize(std::string_view blob);

 private:
  // Each tally table is keyed by a 64-bit hash of the group (agent, type, value...).
  using Table = std::unordered_map<uint64_t, OutcomeTally>;
  // The five tables and the global tally: the fitted statistics, or one task's share of them.
  struct Tallies {
    OutcomeTally global;
    Table by_type;           // task_type
    Table by_context;        // (key, categorical value)
    Table by_agent;          // agent
    Table by_agent_type;     // (agent, task_type)
    Table by_agent_context;  // (agent, key, categorical value)
    // cluster: the row's text-cluster key (0: none).
    void add(const Execution& e, const std::vector<ContextKey>& keys, uint64_t cluster);
  };
  // The text-cluster key of a vector (0 when it has none).
  uint64_t cluster_of(std::span<const float> embedding) const;
  // `excluded` (may be null) is subtracted from every group looked up.
  void write_group(const Table& table, const Table* excluded, uint64_t key, double prior_rate, double prior_log_time,
                   double prior_log_cost, float* out) const;
  PreparedTask prepare(const TaskQuery& task, std::span<const float> embedding, const Tallies* excluded) const;
  void fill(const PreparedTask& task, std::string_view agent_id, std::span<float> out, const Tallies* excluded) const;
  void compute_layout();

  FeatureParams params_;
  std::vector<ContextKey> context_keys_;
  int text_dims_ = 0;
  TextClusters clusters_;
  Tallies stats_;
  std::vector<std::pair<std::string, double>> agents_;
  size_t task_width_ = 0;
  size_t agent_width_ = 0;
  std::vector<size_t> selector_columns_;
  bool selector_all_columns_ = false;  // read from a format-1 blob: its selector saw every column
};

}  // namespace agentlearn::ml
