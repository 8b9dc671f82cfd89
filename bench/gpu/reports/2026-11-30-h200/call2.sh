#!/usr/bin/env bash
# call 2: alexnet-small's default recipe on Fashion-MNIST, trained on the GPU (the data travels in .fm/)
source "$(dirname "$0")/common.sh"
[ -e /usr/share/datasets/fashion-mnist ] || { mkdir -p /usr/share/datasets && ln -s "$PWD/.fm" /usr/share/datasets/fashion-mnist; }
t0=$SECONDS
timeout ${TRAIN_LIMIT:-300} $app/ConvNet.Cli train --device cuda --model alexnet-small --data fashion-mnist --threads 8 --out /tmp/runs/gpu > $OUTD/train.log 2>&1; rc=$?
echo "train rc=$rc in $((SECONDS - t0)) s"; tail -c 5000 $OUTD/train.log
tar -C /tmp/runs --exclude='*.safetensors' --exclude='*.bin' -czf $OUTD/run-gpu.tgz gpu 2>/dev/null; ls -la /tmp/runs/gpu
echo "call2 done in $SECONDS s"
