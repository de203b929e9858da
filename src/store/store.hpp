#pragma once
// The whole storage interface: one object per aggregate, each over the backend's one
// connection pool, and what concerns the database as a whole. Backends (sqlite/, postgres/)
// implement it and open_store() hands out one Store; each service takes only the
// aggregate(s) it uses, so what a component may touch is visible in its constructor.
//
//   executions()          ExecutionStore: the group writer's StoreWriter, scans, lookups
//   models()              ModelStore: model sets and the activation history
//   embeddings()          EmbeddingStore: task embeddings and the similar-task queries
//   settings()            SettingStore: small shared settings (the learning mode)
//   recommendation_log()  RecommendationLogStore: the log and its joined outcomes
//   analytics()           AnalyticsStore: analytics cells (agent x task type x time bucket)
#include "store/analytics_store.hpp"
#include "store/embedding_store.hpp"
#include "store/execution_store.hpp"
#include "store/model_store.hpp"
#include "store/recommendation_log_store.hpp"
#include "store/setting_store.hpp"

#include <memory>
#include <utility>

namespace agentlearn {

class Store {
 public:
  virtual ~Store() = default;
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // The aggregates, alive as long as the store.
  ExecutionStore& executions() { return *parts_.executions; }
  ModelStore& models() { return *parts_.models; }
  EmbeddingStore& embeddings() { return *parts_.embeddings; }
  SettingStore& settings() { return *parts_.settings; }
  RecommendationLogStore& recommendation_log() { return *parts_.recommendation_log; }
  AnalyticsStore& analytics() { return *parts_.analytics; }

  // "sqlite" or "postgresql", as /health reports it.
  virtual const char* backend() const = 0;
  // Creates or upgrades the schema through numbered migrations; running it twice is harmless.
  virtual Status migrate() = 0;
  // Takes the schema back to `version` for an older release, undoing the migrations after
  // it that can be undone: 7 (the analytics journal) only, so `version` must be 6 (kInvalid
  // otherwise; nothing to do when the schema is at `version` already). The journal must be
  // empty (drain it first: AnalyticsStore::roll_up), else kConflict and nothing changes. The
  // cells are kept as they are: complete, as the older release writes them.
  virtual Status downgrade_schema(int version) = 0;
  // A cheap round trip proving the store answers now; kUnavailable when it does not.
  virtual Status ping() = 0;
  // A small real write, proving the store can store now (the readiness probe): a one-row
  // upsert of the `store.write_probe` setting, and for SQLite also 64 KiB written, synced and
  // removed beside the database file, so that a full disk shows even while SQLite still has
  // free pages. kUnavailable (or the write's error) when it cannot.
  virtual Status probe_write() = 0;

 protected:
  // What a backend is composed of: one object per aggregate, all over its one pool.
  struct Parts {
    std::unique_ptr<ExecutionStore> executions;
    std::unique_ptr<ModelStore> models;
    std::unique_ptr<EmbeddingStore> embeddings;
    std::unique_ptr<SettingStore> settings;
    std::unique_ptr<RecommendationLogStore> recommendation_log;
    std::unique_ptr<AnalyticsStore> analytics;
  };
  explicit Store(Parts parts) : parts_(std::move(parts)) {}
  // A backend's destructor calls this first: the aggregates use its pool, which a derived
  // class's members outlive only until the derived destructor ends.
  void release_parts() { parts_ = Parts{}; }

 private:
  Parts parts_;
};

// The setting probe_write() keeps (its value: the time of the last probe, microseconds).
inline constexpr const char* kWriteProbeSetting = "store.write_probe";

}  // namespace agentlearn
