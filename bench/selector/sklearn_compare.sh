#!/usr/bin/env bash
# The agent selector (XGBoost's random-forest mode) against a classic random forest --
# scikit-learn's RandomForestClassifier: bootstrap samples, Gini splits, leaf frequencies --
# on the very same features and 5-fold split by task (which is better: XGBoost's RF mode or a
# forest of our own). Prints the pooled out-of-fold ROC AUC and log loss of both.
#   bench/selector/sklearn_compare.sh
# Needs Debian's python3-sklearn (installed here if missing; not needed by the service).
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/sklearn_env.sh
build/agentlearn evaluate-models --only agent_selector --data ../shared/data \
  --selector-features "$work/folds.csv" | grep -E 'agent_selector (ROC|log)|seconds_per_fold'
/usr/bin/python3 - "$work/folds.csv" <<'PY'
import sys, time
import numpy as np
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import roc_auc_score, log_loss
rows = np.genfromtxt(sys.argv[1], delimiter=",", dtype=None, encoding=None)
fold = np.array([r[0] for r in rows]); role = np.array([r[1] for r in rows])
y = np.array([r[2] for r in rows], dtype=int)
x = np.array([list(r)[3:] for r in rows], dtype=float)
x = np.nan_to_num(x, nan=-1e9)  # scikit-learn 1.2's forest refuses NaN
for name, kw in [("max_features=sqrt", {"max_features": "sqrt"}), ("max_features=0.5", {"max_features": 0.5})]:
    truth, pred, seconds = [], [], 0.0
    for f in sorted(set(fold)):
        tr = (fold == f) & (role == "train"); te = (fold == f) & (role == "test")
        t0 = time.time()
        rf = RandomForestClassifier(n_estimators=100, max_depth=10, n_jobs=2, random_state=42, **kw).fit(x[tr], y[tr])
        seconds += time.time() - t0
        truth.append(y[te]); pred.append(rf.predict_proba(x[te])[:, 1])
    truth = np.concatenate(truth); pred = np.concatenate(pred)
    print(f"scikit-learn RandomForest(100, depth 10, {name}) on the same features: ROC AUC {roc_auc_score(truth, pred):.4f}, "
          f"log loss {log_loss(truth, pred):.4f}, {seconds / len(set(fold)):.2f} s per fold")
PY
