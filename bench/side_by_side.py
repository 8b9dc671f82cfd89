#!/usr/bin/env python3
"""Side-by-side benchmark: ConvNet vs its peers on the same models, batches and threads, on this machine, in one run.

Training cells compare `convnet bench --mode train` with PyTorch (bench/pytorch/bench_alexnet.py, Debian's torch with
OpenBLAS/OpenMP); inference cells compare `convnet bench --mode infer` with ONNX Runtime (bench/ConvNet.Bench ort,
the same architecture exported by our exporter). Engines alternate within each round, rounds repeat, and the
table shows medians over rounds (each run's images/s at its median step time) with min..max. Medians are of times
everywhere (as `convnet bench` takes them): a rate is the one at the median time. Batch-64/128 rows give images/s
and ours/peer as a throughput ratio ("2.65x the images/s"); batch-1 rows give the latency in ms and ours/peer as a
time ratio ("0.66x the time": lower is faster).

  dotnet build -c Release ConvNet.slnx && /usr/bin/python3 bench/side_by_side.py --rounds 3 --threads 2

The table's arithmetic checks itself without running anything: /usr/bin/python3 -m doctest bench/side_by_side.py
"""
import argparse, json, os, statistics, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLI = os.path.join(ROOT, "src/ConvNet.Cli/bin/Release/net10.0/linux-x64/ConvNet.Cli.dll")
BENCH = os.path.join(ROOT, "bench/ConvNet.Bench/bin/Release/net10.0/linux-x64/ConvNet.Bench.dll")
TORCH = os.path.join(ROOT, "bench/pytorch/bench_alexnet.py")

CELLS = [  # (model, mode, batch, peer)
    ("alexnet", "train", 128, "pytorch"),
    ("alexnet-torchvision", "train", 128, "pytorch"),
    ("alexnet", "infer", 64, "onnxruntime"),
    ("alexnet-torchvision", "infer", 64, "onnxruntime"),
    ("alexnet", "infer", 1, "onnxruntime"),
    ("alexnet-torchvision", "infer", 1, "onnxruntime"),
]


def run_json(cmd, env=None):
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, env=env).stdout
    try:
        return json.loads(out)  # convnet bench --json: one (indented) object
    except json.JSONDecodeError:
        return json.loads(out.strip().splitlines()[-1])  # peers: progress lines, then one JSON line


def ours(model, mode, batch, threads, repeats):
    r = run_json(["dotnet", CLI, "bench", "--model", model, "--mode", mode, "--batch", str(batch), "--threads", str(threads),
                  "--warmup", "2" if batch == 1 else "1", "--repeats", str(repeats * (10 if batch == 1 else 1)), "--json"])
    return r["imagesPerSecond"]["median"]


def peer(name, model, mode, batch, threads, repeats, keep_freed_memory):
    reps = str(repeats * (10 if batch == 1 else 1))
    if name == "pytorch":
        cmd = ["/usr/bin/python3", TORCH, "--model", model, "--mode", mode, "--batch", str(batch), "--threads", str(threads),
               "--warmup", "1", "--repeats", reps]
        return run_json(cmd, env=fair_peer_env(keep_freed_memory))["median"]
    cmd = ["dotnet", BENCH, "ort", "--model", model, "--batch", str(batch), "--threads", str(threads), "--warmup", "2", "--repeats", reps]
    return run_json(cmd)["median"]


# glibc gives every freed block over its mmap threshold back to the kernel, so PyTorch, which allocates each layer's
# output afresh, faults in new pages on every call. On this VM a page fault costs ~2.3 us per 4 KB page (fresh memory
# fills at 1.7 GB/s, reused memory at 31 GB/s), which made the peer 5x slower on conv1 (239 against 46 ms at batch 64).
# Keeping freed memory in glibc's heap is what a well-configured PyTorch deployment does (or jemalloc/tcmalloc);
# our engine plans its buffers once and never pays this.
PEER_MALLOC = "glibc.malloc.mmap_threshold=4294967296:glibc.malloc.trim_threshold=17179869184:glibc.malloc.top_pad=1073741824"


def fair_peer_env(keep_freed_memory=True):
    """The environment for the PyTorch peer: without OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE, which this machine's
    environment sets (CORETYPE=Haswell halves OpenBLAS here; Debian's OpenBLAS computes correctly on this CPU
    without them: DESIGN.md section 4), and, with keep_freed_memory, glibc keeping freed memory (PEER_MALLOC)."""
    env = dict(os.environ)
    env.pop("OPENBLAS_CORETYPE", None)
    env.pop("OPENBLAS_L2_SIZE", None)
    if keep_freed_memory:
        env["GLIBC_TUNABLES"] = PEER_MALLOC
    return env


def machine():
    """The CPU model, the measured FMA peak (bench/ConvNet.Bench peak) and the OpenBLAS kernel the peer runs."""
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            model = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    peak = subprocess.run(["dotnet", BENCH, "peak"], capture_output=True, text=True).stdout.strip().splitlines()
    core = subprocess.run(["/usr/bin/python3", "-c",
                           "import ctypes, ctypes.util, torch; lib = ctypes.CDLL(ctypes.util.find_library('openblas') or 'libopenblas.so.0'); "
                           "f = lib.openblas_get_corename; f.restype = ctypes.c_char_p; print(f().decode())"],
                          capture_output=True, text=True, env=fair_peer_env()).stdout.strip() \
        or "none found (apt-get install libopenblas0-openmp; without it PyTorch runs the reference BLAS)"
    return model, (peak[-1] if peak else "peak not measured"), core


def median_time(rates):
    """Seconds per image at the median over runs, from each run's images/s: statistics.median of the times (the mean
    of the two middle ones for an even count), not 1 / the median rate, which for two runs is a harmonic mean.

    >>> round(1000 * median_time([1000 / 9, 1000 / 12]), 6)  # runs of 9 and 12 ms: 10.5 ms, not 10.3
    10.5
    """
    return statistics.median(1 / r for r in rates)


def row(batch, ours_rates, peer_rates):
    """The table's three figures for one cell: ours, the peer's, and ours / peer. Batch 1 is latency (ms, and the
    ratio of times); larger batches are throughput (images/s at the median time, and the ratio of those).

    >>> row(1, [1000 / 8.1], [1000 / 11.8])
    ('8.1 ms (8.1..8.1)', '11.8 ms (11.8..11.8)', '0.69x the time')
    >>> row(128, [150, 149, 152], [56.5, 55.8, 57.1])
    ('150.0 img/s (149.0..152.0)', '56.5 img/s (55.8..57.1)', '2.65x the images/s')
    """
    if batch == 1:
        fmt = lambda xs: f"{1000 * median_time(xs):.1f} ms ({1000 / max(xs):.1f}..{1000 / min(xs):.1f})"
        ratio = f"{median_time(ours_rates) / median_time(peer_rates):.2f}x the time"
    else:
        fmt = lambda xs: f"{1 / median_time(xs):.1f} img/s ({min(xs):.1f}..{max(xs):.1f})"
        ratio = f"{median_time(peer_rates) / median_time(ours_rates):.2f}x the images/s"
    return fmt(ours_rates), fmt(peer_rates), ratio


def at_least_one(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def cell_numbers(text):
    """--only: comma-separated cell numbers, each one of CELLS (1-based)."""
    numbers = []
    for part in text.split(","):
        if not part.strip().isdigit() or not 1 <= int(part) <= len(CELLS):
            raise argparse.ArgumentTypeError(f"'{part}' is not a cell: give numbers 1..{len(CELLS)}, comma-separated")
        numbers.append(int(part))
    return numbers


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--rounds", type=at_least_one, default=3)
    p.add_argument("--threads", type=at_least_one, default=2)
    p.add_argument("--repeats", type=at_least_one, default=3)
    p.add_argument("--only", type=cell_numbers, default=None,
                   help="comma-separated cell numbers (1-based): " + "; ".join(f"{i} {m} {mode} b{b}" for i, (m, mode, b, _) in enumerate(CELLS, 1)))
    p.add_argument("--peer-malloc", choices=["keep", "default"], default="keep",
                   help="keep: the PyTorch peer runs with glibc keeping freed memory (PEER_MALLOC); default: glibc as configured")
    a = p.parse_args()
    keep = a.peer_malloc == "keep"
    cells = [c for i, c in enumerate(CELLS, 1) if a.only is None or i in a.only]
    results = {c: {"ours": [], "peer": []} for c in cells}
    for r in range(a.rounds):
        for c in cells:
            model, mode, batch, peer_name = c
            first_ours = (r % 2 == 0)  # alternate which engine goes first
            for who in (["ours", "peer"] if first_ours else ["peer", "ours"]):
                v = ours(model, mode, batch, a.threads, a.repeats) if who == "ours" else peer(peer_name, model, mode, batch, a.threads, a.repeats, keep)
                results[c][who].append(v)
                print(f"round {r + 1} {model} {mode} b{batch}: {who} {v:.1f} img/s", file=sys.stderr, flush=True)

    cpu, peak, core = machine()
    print(f"machine: {cpu}, {os.cpu_count()} CPUs; {peak}; PyTorch peer's OpenBLAS kernel: {core} "
          f"(OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE unset for it; glibc {'keeping freed memory' if keep else 'malloc as configured'}); "
          f"{a.threads} threads; {a.rounds} rounds, engines alternating")
    print()
    print(f"| cell | peer | ours (median, min..max) | peer (median, min..max) | ours / peer |")
    print(f"|---|---|---|---|---|")
    for c in cells:
        model, mode, batch, peer_name = c
        ours_figure, peer_figure, ratio = row(batch, results[c]["ours"], results[c]["peer"])
        print(f"| {model} {mode} batch {batch} | {peer_name} | {ours_figure} | {peer_figure} | {ratio} |")


if __name__ == "__main__":
    main()
