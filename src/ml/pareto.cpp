#include "ml/pareto.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace agentlearn::ml {

namespace {

std::vector<TradeoffPoint> finite_by_cost(std::span<const TradeoffPoint> points) {
  std::vector<TradeoffPoint> out;
  for (const auto& p : points) {
    if (std::isfinite(p.cost) && std::isfinite(p.quality)) out.push_back(p);
  }
  std::stable_sort(out.begin(), out.end(), [](const TradeoffPoint& a, const TradeoffPoint& b) {
    return a.cost != b.cost ? a.cost < b.cost : a.quality > b.quality;
  });
  return out;
}

// z-component of (b - a) x (c - a): > 0 when c lies left of a->b (above, going right).
double cross(const TradeoffPoint& a, const TradeoffPoint& b, const TradeoffPoint& c) {
  return (b.cost - a.cost) * (c.quality - a.quality) - (b.quality - a.quality) * (c.cost - a.cost);
}

}  // namespace

std::vector<TradeoffPoint> pareto_front(std::span<const TradeoffPoint> points) {
  std::vector<TradeoffPoint> front;
  double best = -std::numeric_limits<double>::infinity();
  for (const auto& p : finite_by_cost(points)) {
    if (p.quality > best) {
      front.push_back(p);
      best = p.quality;
    }
  }
  return front;
}

double area_under_hull(std::span<const TradeoffPoint> points) {
  std::vector<TradeoffPoint> sorted = finite_by_cost(points);
  if (sorted.empty()) return std::numeric_limits<double>::quiet_NaN();
  // Non-decreasing: each point's quality is the best at its cost or below.
  double best = -std::numeric_limits<double>::infinity();
  for (auto& p : sorted) {
    best = std::max(best, p.quality);
    p.quality = best;
  }
  const double lo = sorted.front().cost, hi = sorted.back().cost;
  if (hi <= lo) return best;
  // Upper hull (monotone chain, left to right).
  std::vector<TradeoffPoint> hull;
  for (const auto& p : sorted) {
    while (hull.size() >= 2 && cross(hull[hull.size() - 2], hull.back(), p) >= 0) hull.pop_back();
    hull.push_back(p);
  }
  double area = 0;
  for (size_t i = 1; i < hull.size(); ++i) {
    area += (hull[i].cost - hull[i - 1].cost) * (hull[i].quality + hull[i - 1].quality) / 2;
  }
  return area / (hi - lo);
}

}  // namespace agentlearn::ml
