#!/usr/bin/env bash
# Data-parallel scaling on this machine: 2 ranks x 1 thread (mpiexec) against 1 process x 2 threads, paper AlexNet and
# alexnet-small training at batch 128, run alternately and repeated (medians), plus the allreduce bandwidth for the
# paper net's gradient size. Prints a Markdown table for docs/distributed.md. Run it on a quiet machine.
#   bench/distributed_scaling.sh            # the measurement (~15 minutes on 2 cores)
#   QUICK=1 bench/distributed_scaling.sh    # seconds: proves the script works, figures meaningless
set -euo pipefail
cd "$(dirname "$0")/.."

repeats=${REPEATS:-5}; batch=${BATCH:-128}; models=${MODELS:-"alexnet alexnet-small"}; steps=${STEPS:-5}; allreduce_mb=${ALLREDUCE_MB:-244}
if [ "${QUICK:-0}" = 1 ]; then repeats=1; batch=16; models="alexnet-micro"; steps=2; allreduce_mb=8; fi
command -v mpiexec >/dev/null || { echo "mpiexec not found: apt-get install mpich" >&2; exit 2; }

dotnet build -c Release src/ConvNet.Cli -v q -nologo >/dev/null
cli=(dotnet src/ConvNet.Cli/bin/Release/net10.0/linux-x64/ConvNet.Cli.dll)
field() { python3 -c "import json,sys; d=json.load(sys.stdin); print(d$1)"; }
median() { python3 -c "import statistics,sys; print(statistics.median(float(v) for v in sys.argv[1:]))" "$@"; }
# A rate at the median time (docs/performance.md's one rule): with an even count the median of rates is not that.
median_rate() { python3 -c "import statistics,sys; print(1 / statistics.median(1 / float(v) for v in sys.argv[1:]))" "$@"; }

echo "# $(date -u +%FT%TZ), $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, batch $batch, $repeats rounds" >&2
echo "| model | 1 process x 2 threads (img/s) | 2 ranks x 1 thread (img/s) | efficiency | allreduce per step (ms) | gradients (MB) |"
echo "|---|---|---|---|---|---|"
for model in $models; do
  one=(); two=(); wait_ms=(); megabytes=0
  for ((r = 1; r <= repeats; r++)); do
    # Alternate the two set-ups, and which goes first, so slow drifts of the machine hit both alike.
    single() {
      j=$("${cli[@]}" bench --model "$model" --batch "$batch" --threads 2 --warmup 1 --repeats "$steps" --json)
      one+=("$(field "['imagesPerSecond']['median']" <<<"$j")")
    }
    ranks() {
      j=$(mpiexec -n 2 "${cli[@]}" bench --model "$model" --batch "$batch" --threads 1 --warmup 1 --repeats "$steps" --json)
      two+=("$(field "['imagesPerSecond']['median']" <<<"$j")")
      wait_ms+=("$(field "['allreduceMsPerStep']['median']" <<<"$j")")
      megabytes=$(field "['gradientMegabytes']" <<<"$j")
    }
    if (( r % 2 == 1 )); then single; ranks; else ranks; single; fi
    echo "round $r $model: ${one[-1]} vs ${two[-1]} img/s" >&2
  done
  m1=$(median_rate "${one[@]}"); m2=$(median_rate "${two[@]}"); mw=$(median "${wait_ms[@]}")
  printf '| %s | %.1f | %.1f | %.0f %% | %.1f | %.1f |\n' "$model" "$m1" "$m2" "$(python3 -c "print(100*$m2/$m1)")" "$mw" "$megabytes"
done

bw=()
for ((r = 1; r <= repeats; r++)); do
  j=$(mpiexec -n 2 "${cli[@]}" bench --allreduce "$allreduce_mb" --warmup 1 --repeats "$steps" --json)
  bw+=("$(field "['busGigabytesPerSecond']" <<<"$j")")
done
printf '\nallreduce of %s MB over 2 ranks: bus bandwidth %.2f GB/s (at the median time of %d)\n' "$allreduce_mb" "$(median_rate "${bw[@]}")" "$repeats"
