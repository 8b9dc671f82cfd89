# sourced by call1.sh / call2.sh on the GPU machine
set -u
export PYTHONUNBUFFERED=1
cd "$(dirname "${BASH_SOURCE[0]}")/.."
OUTD=${OUT:-/tmp/out}; mkdir -p "$OUTD"
app=/tmp/g/convnet-gpu-check
if [ ! -x $app/ConvNet.Cli ]; then
  [ -f bench/gpu/out/convnet-gpu-check.tar.xz ] || { echo "no archive here (fresh machine?)"; exit 4; }
  mkdir -p /tmp/g && tar -xJf bench/gpu/out/convnet-gpu-check.tar.xz -C /tmp/g || exit 4
fi
if ! ldconfig -p | grep -q 'libcuda.so.1'; then
  for d in /usr/local/nvidia/lib64 /usr/local/nvidia/lib /usr/lib/x86_64-linux-gnu /usr/lib64; do
    [ -e $d/libcuda.so.1 ] && export LD_LIBRARY_PATH=$d${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  done
fi
