#pragma once
// The quality/cost trade-off of a router swept over its cost settings, as RouterBench reports
// it: the Pareto front (no other point is both cheaper and at least as good), and AIQ, the
// area under the non-decreasing convex hull of (cost, quality) over the swept cost range,
// divided by that range (RouterBench, Hu et al. 2024): one number for the whole curve, in
// units of quality.
#include <span>
#include <string>
#include <vector>

namespace agentlearn::ml {

struct TradeoffPoint {
  std::string form;  // which objective made it, e.g. "relative_cost_weight=0.1"
  double cost = 0;
  double quality = 0;
};

// The points no other point dominates (cheaper or as cheap, and better or as good, one of
// them strictly), cheapest first; points without a finite cost are left out.
std::vector<TradeoffPoint> pareto_front(std::span<const TradeoffPoint> points);

// AIQ of the points: running maximum of quality by cost (a dearer setting is never needed to
// do worse), then the upper convex hull (any mix of two settings is reachable by choosing
// between them per task), integrated over [min cost, max cost] and divided by the range. A
// single cost gives its best quality; no finite point gives NaN.
double area_under_hull(std::span<const TradeoffPoint> points);

}  // namespace agentlearn::ml
