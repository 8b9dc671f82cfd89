#!/usr/bin/env bash
# Serving figures in rounds: `convnet bench` at batch 32, 16 and 1 (with its p99) right before each closed-loop load run
# (bench/serve_load.py at concurrency 1, 8 and 32), then the server's GC counters. Run it with nothing else busy.
#   bench/serve_rounds.sh CLI.dll MODEL RUN IMAGE ROUNDS SECONDS [MAX_DELAY_MS]   (default 5, serve's own)
#   bench/serve_rounds.sh src/ConvNet.Cli/bin/Release/net10.0/linux-x64/ConvNet.Cli.dll alexnet runs/x cat.png 3 30
set -uo pipefail
[ $# -eq 6 ] || [ $# -eq 7 ] || { echo "usage: bench/serve_rounds.sh CLI.dll MODEL RUN IMAGE ROUNDS SECONDS [MAX_DELAY_MS]" >&2; exit 2; }
cli=(dotnet "$(realpath "$1")") model=$2 run=$(realpath "$3") image=$(realpath "$4") rounds=$5 seconds=$6 delay=${7:-5}
cd "$(dirname "$0")/.."
log=$(mktemp)
for r in $(seq $rounds); do
  echo "== round $r $model $(date -u +%T)"
  for b in 32 16; do echo "bench b$b: $("${cli[@]}" bench --model $model --mode infer --batch $b --threads 2 --repeats 10 2>&1 | grep -E '^step')"; done
  echo "bench b1: $("${cli[@]}" bench --model $model --mode infer --batch 1 --threads 2 --repeats 200 2>&1 | grep -E '^step')"
  "${cli[@]}" serve --checkpoint "$run" --threads 2 --max-batch 32 --max-delay-ms $delay --port 8091 > "$log" 2>&1 &
  pid=$!
  for i in $(seq 60); do curl -sf http://127.0.0.1:8091/healthz >/dev/null && break; sleep 1; done
  python3 bench/serve_load.py --url http://127.0.0.1:8091 --image "$image" --concurrency 1,8,32 --seconds $seconds
  curl -s http://127.0.0.1:8091/metrics | grep -E "^dotnet_gc_(coll|pause)"
  kill -TERM $pid; wait $pid
done
rm -f "$log"
