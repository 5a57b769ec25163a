#!/usr/bin/env bash
# Claim-run throughput against an earlier tree, as issue 24 defines it: the same R lab-scale runs
# (examples/invariance-lab.json, seeds 0 … R−1, whole processes through bench/_lab.ts) trained as
# `dplab reproduce run` trained them in BASELINE (one at a time, on every core's thread) against as
# this tree trains them (one run per core at once, one thread each), alternating, ROUNDS times.
#   bash bench/claim-throughput-vs.sh BASELINE_DIR [ROUNDS] [R]
# BASELINE_DIR: e.g. `git archive 54c11d5 | tar -x -C DIR` with node_modules linked into it.
# Prints each side's wall time for the R runs, the ratio and each run's result line.
set -euo pipefail
base=${1:?usage: bench/claim-throughput-vs.sh BASELINE_DIR [ROUNDS] [R]}
rounds=${2:-2}
runs=${3:-$(nproc)}
here=$(cd "$(dirname "$0")/.." && pwd)
lab() { (cd "$1" && node --import tsx bench/_lab.ts --seed "$2" --threads "$3" 2>/dev/null | tail -1 | cut -c1-170); }
now() { date +%s.%N; }
for ((round = 1; round <= rounds; round++)); do
  t0=$(now)
  for ((s = 0; s < runs; s++)); do lab "$base" "$s" "$(nproc)"; done
  t1=$(now)
  for ((s = 0; s < runs; s++)); do lab "$here" "$s" 1 & done
  wait
  t2=$(now)
  echo "round $round: baseline one at a time $(echo "$t1 - $t0" | bc) s, this tree $runs at once $(echo "$t2 - $t1" | bc) s: $(echo "scale=2; ($t1 - $t0) / ($t2 - $t1)" | bc)x runs per hour (load $(cut -d' ' -f1 /proc/loadavg))"
done
