#!/usr/bin/env bash
# call 3: the rebuilt verify (limits from the CPU's rounding twin) on alexnet-small, then the whole GPU check again
# (it verifies alexnet and alexnet-torchvision) on the build with K-sliced small products
source "$(dirname "$0")/common.sh"
cat $app/BUILD-INFO
summary() { python3 -c 'import json,sys; v=json.load(open(sys.argv[1]))["verify"]; print(v["model"], "passed", v["passed"], "losses", v["cpuLosses"], v["gpuLosses"]); [print("  %-28s gpu %.3g elementwise %.3g twin %.3g limit %.3g %s" % (t["name"], t["gpuError"], t["gpuElementwise"], t["roundingError"], t["limit"], "ok" if t["passed"] else "OUT")) for t in sorted(v["tensors"], key=lambda t: -t["gpuError"]/t["limit"])[:6]]' "$1"; }
t0=$SECONDS
timeout 100 $app/ConvNet.Cli bench --device cuda --verify --model alexnet-small --threads 8 --json > $OUTD/verify-alexnet-small.json 2> $OUTD/verify-alexnet-small.err; echo "verify alexnet-small rc=$? ($((SECONDS - t0)) s)"
tail -c 1000 $OUTD/verify-alexnet-small.err; summary $OUTD/verify-alexnet-small.json
$app/check.sh run --out /tmp/rep/report.json --budget ${CHECK_BUDGET:-330}; echo "check rc=$?"
cp /tmp/rep/report.json $OUTD/ 2>/dev/null; tar -C /tmp/rep -czf $OUTD/report-logs.tgz report.logs 2>/dev/null
for m in verify verify.torchvision; do summary /tmp/rep/report.logs/$m.out; done
echo "call3 done in $SECONDS s"
