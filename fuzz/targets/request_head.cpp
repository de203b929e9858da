// What the server decides from a request head: Transfer-Encoding framing, Host, Origin, the
// target's %-escapes and query string. The input's lines are the header values, in order.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "http/query.hpp"
#include "http/request_head.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace agentlearn::http;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string_view> lines;
  for (size_t pos = 0; pos <= text.size();) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    lines.push_back(text.substr(pos, eol - pos));
    pos = eol + 1;
  }
  auto line = [&](size_t i) { return i < lines.size() ? lines[i] : std::string_view(); };
  const unsigned version = size % 2 ? 10 : 11;

  std::vector<std::string_view> codings(lines.begin() + std::min<size_t>(lines.size(), 3), lines.end());
  if (auto refused = check_framing(version, codings, size % 3 == 0)) {
    if (refused->status != 400 && refused->status != 501) __builtin_trap();
  } else if (!codings.empty() && version != 11) {
    __builtin_trap();  // HTTP/1.0 never carries a Transfer-Encoding
  }

  const HostPolicy policy{{"agentlearn.internal"}, true};
  std::string_view host = line(0);  // a header value, without its surrounding whitespace
  while (!host.empty() && (host.front() == ' ' || host.front() == '\t')) host.remove_prefix(1);
  while (!host.empty() && (host.back() == ' ' || host.back() == '\t')) host.remove_suffix(1);
  if (!check_host(line(0), version, policy) && !host.empty() && !host_of_authority(host)) {
    __builtin_trap();  // an accepted Host is well formed
  }
  (void)check_origin(line(1), line(0), {"https://ui.example"}, policy.allowed_hosts);

  if (auto decoded = percent_decode(line(2), true)) {
    if (decoded->size() > line(2).size()) __builtin_trap();
  }
  (void)parse_query(text);
  return 0;
}
