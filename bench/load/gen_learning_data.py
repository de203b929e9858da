#!/usr/bin/env python3
"""Generates the inputs of bench/load/learning.sh at run time (nothing here is committed data).

  gen_learning_data.py texts N OUT.lua        N distinct task texts the server has not seen, as a Lua
                                              table of POST /task/recommend bodies
  gen_learning_data.py executions N OUT.jsonl N executions: swebench-verified tasks resampled with
                                              new task_ids, perturbed texts and outcomes, 24 agents each

Sources: ../shared/data/swebench-verified/executions.jsonl (12,000 runs of 500 tasks by 24 agents)
and ../shared/data/debian-packages/packages.csv (descriptions). Fixed seeds: the same files every run.
"""
import csv
import json
import math
import random
import re
import sys
from pathlib import Path

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def load_runs():
    with open(DATA / "swebench-verified" / "executions.jsonl") as f:
        return [json.loads(line) for line in f]


def sentences(text):
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+|\n+", text) if len(s.strip()) > 15]


def tasks_of(runs):
    tasks = {}
    for r in runs:
        tasks.setdefault(r["task_id"], {"text": r["task_description"], "type": r.get("task_type"),
                                        "context": r.get("context") or {}, "runs": []})["runs"].append(r)
    return tasks


def debian_descriptions():
    with open(DATA / "debian-packages" / "packages.csv", newline="") as f:
        return [row["long_description"] for row in csv.DictReader(f) if row["long_description"]]


def perturb(words, rng):
    """Drops or swaps a few words: a different text of the same kind."""
    out = list(words)
    for _ in range(max(1, len(out) // 12)):
        if len(out) < 4:
            break
        i = rng.randrange(len(out) - 1)
        if rng.random() < 0.5:
            del out[i]
        else:
            out[i], out[i + 1] = out[i + 1], out[i]
    return out


def new_text(tasks_list, deb, rng):
    """2-4 sentences of different swebench tasks, sometimes one of a Debian description, perturbed."""
    parts = []
    for _ in range(rng.randint(2, 4)):
        s = sentences(rng.choice(tasks_list)["text"]) or ["Fix the failing behaviour."]
        parts.append(rng.choice(s))
    if rng.random() < 0.3:
        d = sentences(rng.choice(deb))
        if d:
            parts.insert(rng.randrange(len(parts) + 1), rng.choice(d))
    return " ".join(perturb(" ".join(parts).split(), rng))


def gen_texts(n, out):
    rng = random.Random(20240604)
    runs = load_runs()
    tasks = tasks_of(runs)
    tasks_list = list(tasks.values())
    seen = {t["text"] for t in tasks_list}
    deb = debian_descriptions()
    bodies, texts = [], set()
    while len(bodies) < n:
        text = new_text(tasks_list, deb, rng)
        if text in seen or text in texts:
            continue
        texts.add(text)
        ctx = dict(rng.choice(tasks_list)["context"])
        body = {"task_description": text, "context": ctx}
        if rng.random() < 0.5:
            body["task_type"] = ctx.get("repository")
        bodies.append(json.dumps(body))
    with open(out, "w") as f:
        f.write("return {\n")
        for b in bodies:
            assert "]==]" not in b
            f.write("[==[" + b + "]==],\n")
        f.write("}\n")


def gen_executions(n, out):
    rng = random.Random(20240605)
    runs = load_runs()
    tasks_list = list(tasks_of(runs).values())
    deb = debian_descriptions()
    written = 0
    k = 0
    with open(out, "w") as f:
        while written < n:
            src = tasks_list[k % len(tasks_list)]
            k += 1
            task_id = f"synth-{k:06d}__{src['runs'][0]['task_id']}"
            # The source's text with a sentence of another task and a few words perturbed.
            s = sentences(src["text"]) or [src["text"]]
            extra = sentences(rng.choice(tasks_list)["text"])
            if extra and rng.random() < 0.7:
                s.insert(rng.randrange(len(s) + 1), rng.choice(extra))
            text = " ".join(perturb(" ".join(s).split(), rng))
            for r in src["runs"]:
                if written >= n:
                    break
                e = dict(r)
                e["task_id"] = task_id
                e["execution_id"] = f"{r['agent_id']}/{task_id}"
                e["task_description"] = text
                e["execution_time"] = max(1.0, round(r["execution_time"] * math.exp(rng.gauss(0, 0.2))))
                if rng.random() < 0.08:
                    e["success"] = not r["success"]
                m = dict(r.get("metrics") or {})
                if isinstance(m.get("cost_usd"), (int, float)):
                    m["cost_usd"] = m["cost_usd"] * math.exp(rng.gauss(0, 0.2))
                e["metrics"] = m
                f.write(json.dumps(e) + "\n")
                written += 1


if __name__ == "__main__":
    kind, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    {"texts": gen_texts, "executions": gen_executions}[kind](n, out)
