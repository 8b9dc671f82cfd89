#!/usr/bin/env bash
# CPU before/after: builds BASE (a commit) in a temporary worktree and alternates its CLI with this tree's on the
# same `convnet bench` cells, then times the trainer's step both ways. Run on an otherwise idle machine:
#   dotnet build -c Release ConvNet.slnx && bench/before_after.sh 82b8eb1 [ROUNDS]
# CELLS="model mode batch;..." replaces the bench cells; TRAINER=0 skips the trainer's step.
# Prints one line per run; BENCHMARKS.md gives the medians.
set -euo pipefail
base_commit=${1:?usage: bench/before_after.sh BASE_COMMIT [ROUNDS]}
rounds=${2:-3}
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'git -C "$repo" worktree remove --force "$work/base" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
git -C "$repo" worktree add --detach "$work/base" "$base_commit" >/dev/null
dotnet build -c Release "$work/base/src/ConvNet.Cli/ConvNet.Cli.csproj" -nologo -v:quiet >&2
cli() { # the CLI of build $1 (base or new)
    if [[ $1 == base ]]; then echo "$work/base/src/ConvNet.Cli/bin/Release/net10.0/linux-x64/ConvNet.Cli.dll"
    else echo "$repo/src/ConvNet.Cli/bin/Release/net10.0/linux-x64/ConvNet.Cli.dll"; fi
}
median_ips='import json, sys; d = json.loads(sys.stdin.read()); print(round(d["imagesPerSecond"]["median"], 1), "img/s, cpus", round(d.get("cpusUsed", 0), 2))'

for ((round = 1; round <= rounds; round++)); do
    IFS=';' read -r -a cells <<< "${CELLS:-alexnet train 128;alexnet infer 64;alexnet-small train 128}"
    for cell in "${cells[@]}"; do
        read -r model mode batch <<< "$cell"
        # Alternate which build goes first, so a drift of the machine within a round favours neither.
        builds=(base new); (( round % 2 == 0 )) && builds=(new base)
        for build in "${builds[@]}"; do
            result=$(dotnet "$(cli $build)" bench --model "$model" --mode "$mode" --batch "$batch" --threads 2 --warmup 2 --repeats 5 --json 2>/dev/null | python3 -c "$median_ips")
            echo "round $round bench $model $mode b$batch $build $result"
        done
    done
done

[[ ${TRAINER:-1} == 0 ]] && exit 0
# The trainer's step: (t(150 steps) - t(30 steps)) / 120, so start-up and data loading cancel out.
run_dir="$work/run"
for ((round = 1; round <= 2 * rounds; round++)); do
    builds=(base new); (( round % 2 == 0 )) && builds=(new base)
    for build in "${builds[@]}"; do
        times=()
        for steps in 30 150; do
            rm -rf "$run_dir"
            start=$(date +%s.%N)
            dotnet "$(cli $build)" train --model alexnet-small --data fashion-mnist --epochs 1 --max-steps "$steps" --threads 2 --out "$run_dir" >/dev/null 2>&1
            times+=("$(python3 -c "print($(date +%s.%N) - $start)")")
        done
        python3 -c "d = (${times[1]} - ${times[0]}) / 120; print(f'round $round train alexnet-small b128 $build {d * 1000:.1f} ms/step {128 / d:.0f} img/s')"
    done
done
