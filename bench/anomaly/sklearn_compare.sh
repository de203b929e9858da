#!/usr/bin/env bash
# The anomaly detector against scikit-learn's IsolationForest on the very same features
# (target: within 0.02 of it). Writes the features of the 12,000 SWE-bench runs with 2%
# corrupted (evaluate-models' protocol), scores them with scikit-learn's IsolationForest
# (100 trees, 256 samples, several seeds) and prints both AUCs.
#   bench/anomaly/sklearn_compare.sh
# Needs Debian's python3-sklearn (installed here if missing; not needed by the service).
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/sklearn_env.sh
build/agentlearn evaluate-models --only anomaly_detector --data ../shared/data \
  --anomaly-features "$work/features.csv" | grep -E 'anomaly_detector ROC'
/usr/bin/python3 - "$work/features.csv" <<'PY'
import sys
import numpy as np
from sklearn.ensemble import IsolationForest
from sklearn.metrics import roc_auc_score
data = np.genfromtxt(sys.argv[1], delimiter=",", skip_header=1)
x, y = data[:, :-1], data[:, -1]
x = x[:, ~np.all(np.isnan(x), axis=0)]
x = np.nan_to_num(x, nan=np.nanmax(np.abs(x)) * 10)  # sklearn refuses NaN; ours sends it right
aucs = []
for seed in range(5):
    model = IsolationForest(n_estimators=100, max_samples=256, random_state=seed).fit(x)
    aucs.append(roc_auc_score(y, -model.score_samples(x)))
print(f"scikit-learn IsolationForest ROC AUC on the same features: mean {np.mean(aucs):.4f} "
      f"(seeds 0-4: {' '.join(f'{a:.4f}' for a in aucs)})")
PY
