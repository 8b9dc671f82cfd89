#!/usr/bin/env bash
# Issue 15 (weights packed once, batch-1 latency): alternates a baseline CLI with this tree's on inference cells of
# `convnet bench`, then this tree's CLI with --precision bf16. Prints one line per run (step ms median, CPUs used, the
# fully connected layers' forward ms); BENCHMARKS.md gives the medians over rounds.
#   dotnet build -c Release ConvNet.slnx && bench/issue15_before_after.sh BASE_CLI_DLL [ROUNDS]
# BASE_CLI_DLL: ConvNet.Cli.dll built from the baseline commit (e.g. fcf4f17) in another folder.
set -euo pipefail
base=${1:?usage: bench/issue15_before_after.sh BASE_CLI_DLL [ROUNDS]}
rounds=${2:-3}
repo=$(cd "$(dirname "$0")/.." && pwd)
new="$repo/src/ConvNet.Cli/bin/Release/net10.0/linux-x64/ConvNet.Cli.dll"
summary='import json, sys
d = json.loads(sys.stdin.read())
fc = " ".join("%s %.2f" % (l["name"], l["forwardMs"]) for l in d["layers"] if l["kind"] == "Linear")
print("step %.2f ms (min %.2f) cpus %.2f | %s" % (d["stepMs"]["median"], d["stepMs"]["min"], d.get("cpusUsed", 0), fc))'
for ((round = 1; round <= rounds; round++)); do
    for cell in "alexnet 1" "alexnet-torchvision 1" "alexnet 64" "alexnet-torchvision 64"; do
        read -r model batch <<< "$cell"
        repeats=$(( batch == 1 ? 30 : 5 ))
        # Alternate the order each round, so a drift of the machine within a round favours no build.
        builds=(base new bf16); (( round % 2 == 0 )) && builds=(bf16 new base)
        for build in "${builds[@]}"; do
            case $build in
                base) cli=$base; extra=() ;;
                new) cli=$new; extra=() ;;
                bf16) cli=$new; extra=(--precision bf16) ;;
            esac
            result=$(dotnet "$cli" bench --model "$model" --mode infer --batch "$batch" --threads 2 --warmup 3 --repeats "$repeats" \
                "${extra[@]}" --json 2>/dev/null | python3 -c "$summary")
            echo "round $round $model b$batch $build $result"
        done
    done
done
