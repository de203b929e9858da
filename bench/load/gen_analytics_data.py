#!/usr/bin/env python3
"""Executions for the analytics bench: N records as JSONL on stdout (or a file), ~20 agents,
~12 task types, timestamps spread over DAYS days ending at END (Unix seconds) in time order, log-normal
execution times, a cost on most runs. Fixed seed: the same store every time.
  gen_analytics_data.py N OUT.jsonl [DAYS] [END]"""
import datetime, json, math, random, sys

n = int(sys.argv[1])
out = sys.argv[2]
days = int(sys.argv[3]) if len(sys.argv) > 3 else 90
end = int(sys.argv[4]) if len(sys.argv) > 4 else 1767571200  # 2026-01-05T00:00:00Z
rng = random.Random(20261202)
agents = [f"agent-{i:02d}" for i in range(20)]
skill = [0.35 + 0.5 * rng.random() for _ in agents]
types = [f"type-{i:02d}" for i in range(12)]
start = end - days * 86400
# In time order, as a store fills (and as an export of one replays it).
stamps = sorted(start + rng.random() * days * 86400 for _ in range(n))
with open(out, "w") as f:
    for i, ts in enumerate(stamps):
        a = rng.randrange(len(agents))
        t = rng.randrange(len(types))
        rec = {
            "execution_id": f"an-{i}",
            "agent_id": agents[a],
            "task_id": f"task-{rng.randrange(50000)}",
            "task_type": types[t],
            "execution_time": round(math.exp(rng.gauss(3.5, 1.0)), 3),
            "success": rng.random() < skill[a],
            "timestamp": datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "metrics": {"cost_usd": round(rng.random() * 0.8, 5)} if rng.random() < 0.9 else {},
        }
        f.write(json.dumps(rec, separators=(",", ":")) + "\n")
