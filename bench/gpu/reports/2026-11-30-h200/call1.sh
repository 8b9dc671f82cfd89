#!/usr/bin/env bash
# call 1: machine facts, a quick smoke test of the CUDA path, then the whole GPU check
source "$(dirname "$0")/common.sh"
{
  date -u; nvidia-smi; echo; ldconfig -p | grep -i -E 'libcuda|nvidia-ptx'; echo "LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-}"
  ls /usr/local/nvidia/lib64 2>&1 | head -40; uname -a; nproc; grep -m1 'model name' /proc/cpuinfo
  python3 -c 'import torch, torchvision; print("torch", torch.__version__, "cuda", torch.version.cuda, "cudnn", torch.backends.cudnn.version(), "tv", torchvision.__version__, torch.cuda.get_device_name(0))'
  cat $app/BUILD-INFO
} > $OUTD/diag.txt 2>&1
t0=$SECONDS
timeout 90 $app/ConvNet.Cli bench --device cuda --gemm 1024 --json --verbose > $OUTD/smoke.txt 2>&1; rc=$?
echo "smoke rc=$rc in $((SECONDS - t0)) s"; tail -c 3000 $OUTD/smoke.txt
if [ $rc != 0 ]; then tail -c 4000 $OUTD/diag.txt; exit 3; fi
$app/check.sh run --out /tmp/rep/report.json --budget ${CHECK_BUDGET:-430}; echo "check rc=$?"
cp /tmp/rep/report.json $OUTD/ 2>/dev/null; tar -C /tmp/rep -czf $OUTD/report-logs.tgz report.logs 2>/dev/null
nvidia-smi --query-gpu=clocks.sm,clocks.mem,temperature.gpu,power.draw --format=csv >> $OUTD/diag.txt 2>&1
echo "call1 done in $SECONDS s"
