#pragma once
// The whole storage interface: the composition of the narrow ones, one per aggregate, plus
// what concerns the database as a whole. Backends (sqlite/, postgres/) implement it and
// open_store() hands out one object; each service takes only the narrow interface(s) it
// uses, so what a component may touch is visible in its constructor.
//
//   ExecutionStore          executions: the group writer's StoreWriter, scans, lookups
//   ModelStore              model sets and the activation history
//   EmbeddingStore          task embeddings and the similar-task queries
//   SettingStore            small shared settings (the learning mode)
//   RecommendationLogStore  the recommendation log and its joined outcomes
//   AnalyticsStore          analytics cells (per agent x task type x time bucket tallies)
#include "store/analytics_store.hpp"
#include "store/embedding_store.hpp"
#include "store/execution_store.hpp"
#include "store/model_store.hpp"
#include "store/recommendation_log_store.hpp"
#include "store/setting_store.hpp"

namespace agentlearn {

class Store : public ExecutionStore,
              public ModelStore,
              public EmbeddingStore,
              public SettingStore,
              public RecommendationLogStore,
              public AnalyticsStore {
 public:
  ~Store() override = default;
  // "sqlite" or "postgresql", as /health reports it.
  virtual const char* backend() const = 0;
  // Creates or upgrades the schema through numbered migrations; running it twice is harmless.
  virtual Status migrate() = 0;
  // A cheap round trip proving the store answers now; kUnavailable when it does not.
  virtual Status ping() = 0;
  // A small real write, proving the store can store now (the readiness probe): a one-row
  // upsert of the `store.write_probe` setting, and for SQLite also 64 KiB written, synced and
  // removed beside the database file, so that a full disk shows even while SQLite still has
  // free pages. kUnavailable (or the write's error) when it cannot.
  virtual Status probe_write() = 0;
};

// The setting probe_write() keeps (its value: the time of the last probe, microseconds).
inline constexpr const char* kWriteProbeSetting = "store.write_probe";

// The overriding declarations of every member of Store but backend() and vector_storage()
// (which each backend defines inline), for the body of a backend class: the one list of them,
// beside the interfaces, instead of a copy in each backend.
#define AGENTLEARN_STORE_OVERRIDES                  \
  Status migrate() override;                        \
  Status ping() override;                           \
  Status probe_write() override;                    \
  AGENTLEARN_EXECUTION_STORE_OVERRIDES              \
  AGENTLEARN_MODEL_STORE_OVERRIDES                  \
  AGENTLEARN_EMBEDDING_STORE_OVERRIDES              \
  AGENTLEARN_SETTING_STORE_OVERRIDES                \
  AGENTLEARN_RECOMMENDATION_LOG_STORE_OVERRIDES     \
  AGENTLEARN_ANALYTICS_STORE_OVERRIDES

}  // namespace agentlearn
