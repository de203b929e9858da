// The server sink of `agentlearn import`: batches over HTTP, with the server's refusals
// handled record by record.
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>
#include <string_view>
#include <system_error>
#include <thread>

#include "app/import_sink.hpp"
#include "core/text.hpp"
#include "http/client.hpp"

namespace agentlearn::importing {
namespace {

class ServerSink : public Sink {
 public:
  ServerSink(const ClientOptions& o, std::chrono::seconds retry_budget, Progress& progress)
      : client_(o.url), token_(o.token), retry_budget_(retry_budget), progress_(progress) {}

  Status send(std::vector<Pending>& batch, Tally& tally) override {
    // Groups of indices into `batch` still to send: a 413 splits one in two, a 409 removes
    // the conflicting records from it.
    std::vector<std::vector<size_t>> work(1);
    for (size_t i = 0; i < batch.size(); ++i) work[0].push_back(i);
    while (!work.empty()) {
      std::vector<size_t> group = std::move(work.back());
      work.pop_back();
      if (group.empty()) continue;
      std::string body = "{\"records\":[";
      for (size_t k = 0; k < group.size(); ++k) {
        if (k) body.push_back(',');
        body += batch[group[k]].json;
      }
      body += "]}";
      auto res = post_with_retry(body);
      if (!res.ok()) return res.status();
      if (res->status == 200 || res->status == 201) {
        auto answer = nlohmann::json::parse(res->body, nullptr, false);
        if (!answer.is_object() || !answer.contains("recorded")) {
          return Status::Internal(fmt::format("the server answered HTTP {} with an unexpected body: {}", res->status,
                                              res->body.substr(0, 200)));
        }
        tally.imported += answer.value("recorded", uint64_t{0});
        tally.duplicates += answer.value("duplicates", uint64_t{0});
        continue;
      }
      ServerError err = read_server_error(*res);
      if ((res->status == 409 || res->status == 400) && !err.errors.empty()) {
        // Nothing of this group was stored: drop the records the server named, send the rest.
        std::vector<bool> bad(group.size(), false);
        size_t named = 0;
        for (const RecordError& e : err.errors) {
          if (e.index >= group.size() || bad[e.index]) continue;
          bad[e.index] = true;
          ++named;
          tally.reject(batch[group[e.index]].line, e.field, e.message);
        }
        if (named == 0) return Status::Internal(describe_server_error(err));
        std::vector<size_t> rest;
        for (size_t k = 0; k < group.size(); ++k) {
          if (!bad[k]) rest.push_back(group[k]);
        }
        work.push_back(std::move(rest));
        continue;
      }
      if (res->status == 413) {
        if (group.size() > 1) {
          size_t half = group.size() / 2;
          work.emplace_back(group.begin() + static_cast<std::ptrdiff_t>(half), group.end());
          work.emplace_back(group.begin(), group.begin() + static_cast<std::ptrdiff_t>(half));
        } else {
          tally.reject(batch[group[0]].line, "", "the record is larger than the server accepts: " + err.message);
        }
        continue;
      }
      // Anything else (401 and 403 included: the token is the operator's to fix, and retrying
      // will not help) stops the import; the message carries the HTTP status.
      return Status::Internal(describe_server_error(err));
    }
    return Status::Ok();
  }

 private:
  // 503 means overloaded or the store is down for a moment: wait (as long as Retry-After
  // asks, else with exponential backoff) and send again, for at most `retry_budget_`.
  StatusOr<ClientResponse> post_with_retry(const std::string& body) {
    auto deadline = Clock::now() + retry_budget_;
    auto backoff = std::chrono::milliseconds(250);
    for (;;) {
      auto res = client_.request(boost::beast::http::verb::post, "/agent/performance/batch", body,
                                 "application/json", token_);
      if (!res.ok() || res->status != 503) return res;
      auto wait = backoff;
      unsigned retry_after = 0;
      std::string_view ra = trim(res->retry_after);
      if (auto [end, ec] = std::from_chars(ra.data(), ra.data() + ra.size(), retry_after);
          !ra.empty() && ec == std::errc() && end == ra.data() + ra.size()) {
        wait = std::chrono::milliseconds(std::min(retry_after, 30u) * 1000);
      }
      if (Clock::now() + wait > deadline) {
        return Status::Unavailable(fmt::format("the server stayed unavailable for {} s: {}", retry_budget_.count(),
                                               describe_server_error(read_server_error(*res))));
      }
      progress_.note(fmt::format("the server is busy (HTTP 503); retrying in {:.1f} s",
                                 std::chrono::duration<double>(wait).count()));
      std::this_thread::sleep_for(wait);
      backoff = std::min(backoff * 2, std::chrono::milliseconds(8000));
    }
  }

  HttpClient client_;
  std::string token_;
  std::chrono::seconds retry_budget_;
  Progress& progress_;
};

}  // namespace

std::unique_ptr<Sink> server_sink(const ClientOptions& options, std::chrono::seconds retry_budget,
                                  Progress& progress) {
  return std::make_unique<ServerSink>(options, retry_budget, progress);
}

}  // namespace agentlearn::importing
