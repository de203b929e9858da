// The four time series (success rate, p95 time, executions, cost) drawn with uPlot: all
// agents, and one agent on demand as a second, dashed line.
import uPlot from 'uplot';
import { pct, num, usd, int } from './format.js';

const ALL = '#1f5fa8';
const ONE = '#b5470b';

const KINDS = [
  { id: 'c-success', key: 'success_rate', fmt: (v) => pct(v, 0), range: [0, 1] },
  { id: 'c-p95', key: 'p95_time', fmt: (v) => num(v) },
  { id: 'c-executions', key: 'executions', fmt: (v) => int(v), bars: true },
  { id: 'c-cost', key: 'cost_usd', fmt: (v) => usd(v), axis: (v) => (v === null ? '' : '$' + num(v, v < 10 ? 2 : 0)) },
];

const plots = new Map();

function seconds(rfc3339) {
  return Math.floor(new Date(rfc3339).getTime() / 1000);
}

function widthOf(node) {
  return Math.max(200, Math.floor(node.getBoundingClientRect().width));
}

function heightFor(width) {
  return width < 420 ? 160 : 190;
}

// The agent's values lined up with the overall buckets (same bucket size, same starts).
function aligned(points, agentPoints, key) {
  const byStart = new Map(agentPoints.map((p) => [seconds(p.start), p[key]]));
  return points.map((p) => {
    const v = byStart.get(seconds(p.start));
    return v === undefined ? null : v;
  });
}

function options(kind, width, agentId) {
  const series = [
    {},
    {
      label: 'All agents',
      stroke: ALL,
      width: 2,
      fill: kind.bars ? 'rgba(31,95,168,0.25)' : undefined,
      paths: kind.bars ? uPlot.paths.bars({ size: [0.8, 40] }) : undefined,
      // Dots too: a bucket between two empty ones has no line to show it.
      points: { show: !kind.bars, size: 4, fill: ALL },
      spanGaps: false,
      value: (u, v) => kind.fmt(v),
    },
  ];
  if (agentId) {
    series.push({
      label: agentId,
      stroke: ONE,
      width: 2,
      dash: kind.bars ? undefined : [6, 4],
      paths: kind.bars ? uPlot.paths.bars({ size: [0.4, 20] }) : undefined,
      fill: kind.bars ? 'rgba(181,71,11,0.35)' : undefined,
      points: { show: !kind.bars, size: 4, fill: ONE },
      value: (u, v) => kind.fmt(v),
    });
  }
  return {
    width,
    height: heightFor(width),
    series,
    legend: { live: true },
    cursor: { drag: { x: false, y: false } },
    scales: { x: { time: true }, y: kind.range ? { range: kind.range } : { range: (u, lo, hi) => [0, hi > 0 ? hi * 1.05 : 1] } },
    axes: [
      { stroke: '#444', grid: { stroke: '#e6e6e6' }, ticks: { stroke: '#ccc' } },
      { stroke: '#444', grid: { stroke: '#e6e6e6' }, ticks: { stroke: '#ccc' }, size: 56, values: (u, vals) => vals.map(kind.axis || kind.fmt) },
    ],
  };
}

// Draws (or redraws) every chart; resolves when all have drawn.
export function drawSeries(series) {
  const points = (series && series.points) || [];
  const agent = series && series.agent;
  const xs = points.map((p) => seconds(p.start));
  const drawn = [];
  for (const kind of KINDS) {
    const node = document.getElementById(kind.id);
    const data = [xs, points.map((p) => (p[kind.key] === undefined ? null : p[kind.key]))];
    if (agent) data.push(aligned(points, agent.points || [], kind.key));
    const old = plots.get(kind.id);
    if (old) old.destroy();
    node.replaceChildren();
    drawn.push(
      new Promise((resolve) => {
        const opts = options(kind, widthOf(node), agent ? agent.agent_id : null);
        // Away from the cursor the legend shows the latest bucket with data, not "--".
        const latest = (u) => {
          const ys = u.data[1] || [];
          for (let i = ys.length - 1; i >= 0; i--) if (ys[i] != null) return i;
          return ys.length ? ys.length - 1 : null;
        };
        const showLatest = (u) => {
          if (u.cursor.idx == null && latest(u) != null) u.setLegend({ idx: latest(u) });
        };
        opts.hooks = { draw: [() => resolve()], ready: [showLatest], setCursor: [showLatest] };
        plots.set(kind.id, new uPlot(opts, data, node));
      }),
    );
  }
  return Promise.all(drawn);
}

export function clearSeries() {
  for (const [id, p] of plots) {
    p.destroy();
    document.getElementById(id).replaceChildren();
  }
  plots.clear();
}

// Charts follow their box's width (a phone turned, a window resized).
export function watchResize() {
  if (typeof ResizeObserver === 'undefined') return;
  const ro = new ResizeObserver(() => {
    for (const [id, p] of plots) {
      const w = widthOf(document.getElementById(id));
      if (Math.abs(w - p.width) > 2) p.setSize({ width: w, height: heightFor(w) });
    }
  });
  for (const k of KINDS) ro.observe(document.getElementById(k.id));
}
