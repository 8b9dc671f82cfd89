#!/usr/bin/env bash
# The GPU check (issue 11, item 7), in two phases:
#
#   bench/gpu/check.sh build [--from-head]
#       On a build machine with the .NET 10 SDK: publishes the CLI self-contained for linux-x64 and packs it with
#       this script and the PyTorch peer into bench/gpu/out/convnet-gpu-check.tar.xz (must stay under 60 MB).
#       --from-head builds the committed HEAD instead of the working tree.
#
#   check.sh run [--quick] [--out REPORT.json] [--archive FILE] [--budget SECONDS]
#       On the GPU machine (no SDK, no network; bash, coreutils, python3 with PyTorch): from the unpacked folder,
#       or from the repository (it unpacks bench/gpu/out/convnet-gpu-check.tar.xz to a temporary folder). Runs
#       `convnet bench --device cuda --verify`, both engines' 4096^3 SGEMM, then each bench cell alternating
#       ConvNet and PyTorch for 3 rounds (1 with --quick), and writes one JSON report (default
#       ./gpu-check-report.json, raw outputs beside it in REPORT.logs/) and a short table. The whole run keeps
#       to 8 minutes (--quick: 3; --budget sets another limit): every command runs under `timeout`, capped by
#       the time the check has left, and commands that find no time left are recorded as skipped.
#       A command that fails or times out is recorded as an error and the check goes on. Exit code: 0 when
#       every command succeeded, 1 when the report holds errors, 2 when the check could not start.
#
#   CONVNET_CHECK_DEVICE=cpu check.sh run --quick     the same run on the CPU with tiny batches and 1 repeat, to
#       test the plumbing on a machine without a GPU. PYTHON=/usr/bin/python3 picks the python that has torch.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
name=convnet-gpu-check
app_exe=ConvNet.Cli   # the apphost `dotnet publish` names after the AssemblyName; the archive adds a `convnet` link

die() { echo "check.sh: $*" >&2; exit 2; }

build() {
    local from_head=0
    while (($#)); do
        case $1 in
            --from-head) from_head=1 ;;
            *) die "build: unknown option $1" ;;
        esac
        shift
    done
    local repo; repo=$(cd "$here/../.." && pwd)
    [[ -f $repo/src/ConvNet.Cli/ConvNet.Cli.csproj ]] || die "build runs from the repository (bench/gpu/check.sh build)"
    command -v dotnet >/dev/null || die "build needs the .NET 10 SDK (dotnet)"
    command -v xz >/dev/null || die "build needs xz"

    tmp=$(mktemp -d)   # global: the EXIT trap reads it after this function has returned
    trap 'rm -rf "$tmp"' EXIT
    # Publish from a copy of the sources, so that this build never rewrites the obj/ and bin/ folders that a
    # developer's own builds and tests are using at the same time.
    mkdir -p "$tmp/src"
    local top=(src Directory.Build.props Directory.Packages.props global.json)
    local f; for f in nuget.config NuGet.Config .editorconfig; do [[ -e $repo/$f ]] && top+=("$f"); done
    if ((from_head)); then
        git -C "$repo" archive HEAD "${top[@]}" | tar -xf - -C "$tmp/src"
    else
        tar -C "$repo" --exclude=bin --exclude=obj -cf - "${top[@]}" | tar -xf - -C "$tmp/src"
    fi

    local stage=$tmp/stage/$name
    echo "publishing src/ConvNet.Cli (Release, linux-x64, self-contained, untrimmed: trimming breaks ILGPU)..." >&2
    dotnet publish "$tmp/src/src/ConvNet.Cli" -c Release -r linux-x64 --self-contained true \
        -p:PublishTrimmed=false -o "$stage" -nologo -v:minimal >&2
    [[ -x $stage/$app_exe ]] || die "the publish made no $app_exe launcher in $stage"
    ln -s "$app_exe" "$stage/convnet"
    cp "$repo/bench/pytorch/bench_alexnet.py" "$here/check.sh" "$stage/"
    {
        echo "commit $(git -C "$repo" rev-parse HEAD 2>/dev/null || echo unknown)"
        if ((from_head)); then echo "tree HEAD"
        elif [[ -n $(git -C "$repo" status --porcelain -- "${top[@]}" 2>/dev/null) ]]; then echo "tree working tree (uncommitted changes)"
        else echo "tree working tree (clean)"; fi
        echo "built $(date -u +%Y-%m-%dT%H:%M:%SZ)"
        echo "sdk $(dotnet --version)"
    } > "$stage/BUILD-INFO"

    mkdir -p "$here/out"
    local archive=$here/out/$name.tar.xz
    echo "packing $(du -sh "$stage" | cut -f1) into $archive (xz -9)..." >&2
    tar -C "$tmp/stage" -cf - "$name" | xz -9 -T2 > "$archive.part"
    mv "$archive.part" "$archive"
    local bytes; bytes=$(stat -c %s "$archive")
    # The GPU machine receives at most 64 MiB per run; 60 MB leaves room for the rest of the tree.
    if ((bytes >= 60 * 1000 * 1000)); then
        echo "check.sh: $archive is $bytes bytes, over the 60 MB limit" >&2
        exit 1
    fi
    echo "$archive: $bytes bytes ($((bytes / 1000000)) MB)"
}

# ---- run phase -----------------------------------------------------------------------------------------------

# step ID CAP CMD...: runs CMD under `timeout` for at most CAP seconds and never past the check's deadline, with
# stdout, stderr, the exit code and the times kept in $work/ID.*. It never fails: errors are for the report.
step() {
    local id=$1 cap=$2; shift 2
    printf '%s\n' "$@" > "$work/$id.cmd"
    local left=$((deadline - SECONDS - reserve))
    if ((left < 5)); then
        echo "skipped: the check's time was spent" > "$work/$id.skip"
        echo "[$(printf '%3d' $SECONDS)s] $id skipped (out of time)" >&2
        return 0
    fi
    local limit=$((cap < left ? cap : left)) rc=0 t0=$EPOCHREALTIME
    timeout -k 5 "$limit" "$@" > "$work/$id.out" 2> "$work/$id.err" < /dev/null || rc=$?
    echo "$rc $t0 $EPOCHREALTIME $limit" > "$work/$id.rc"
    echo "[$(printf '%3d' $SECONDS)s] $id exit $rc" >&2
    return 0
}

# ours ID CAP ARGS...: our CLI. In the CPU dry run a CLI that does not know --device yet is retried without it,
# so that the rest of the plumbing still runs end to end (the report keeps both attempts).
ours() {
    local id=$1 cap=$2; shift 2
    step "$id" "$cap" "$app/$app_exe" "$@"
    if [[ $device == cpu && -f $work/$id.rc && $(cut -d' ' -f1 "$work/$id.rc") != 0 ]]; then
        local args=() skip=0 a
        for a in "$@"; do
            if ((skip)); then skip=0; continue; fi
            if [[ $a == --device ]]; then skip=1; continue; fi
            args+=("$a")
        done
        if ((${#args[@]} < $#)); then step "$id.fallback" "$cap" "$app/$app_exe" "${args[@]}"; fi
    fi
    return 0
}

torch_peer() {
    local id=$1 cap=$2; shift 2
    step "$id" "$cap" "$python" "$app/bench_alexnet.py" "$@"
}

run() {
    local quick=0 out=$PWD/gpu-check-report.json archive="" budget=""
    while (($#)); do
        case $1 in
            --quick) quick=1 ;;
            --out) out=${2:?--out needs a file}; shift ;;
            --archive) archive=${2:?--archive needs a file}; shift ;;
            --budget) budget=${2:?--budget needs seconds}; shift ;;
            *) die "run: unknown option $1" ;;
        esac
        shift
    done
    [[ $out == /* ]] || out=$PWD/$out
    device=${CONVNET_CHECK_DEVICE:-cuda}
    python=${PYTHON:-python3}
    command -v "$python" >/dev/null || die "no $python: the report is assembled with python3"
    command -v timeout >/dev/null || die "no timeout (coreutils)"
    [[ -n ${EPOCHREALTIME:-} ]] || die "bash 5 or newer is needed (EPOCHREALTIME)"

    # Seconds from the start for everything; `reserve` is kept back for writing the report.
    SECONDS=0
    deadline=${budget:-$((quick ? 165 : 450))} reserve=10
    [[ $deadline =~ ^[0-9]+$ ]] || die "--budget needs whole seconds"
    tmp=$(mktemp -d)   # global: the EXIT trap reads it after this function has returned
    trap 'rm -rf "$tmp"' EXIT
    work=$tmp/work
    mkdir -p "$work"

    # Where the CLI is: beside this script in the unpacked folder, or in the archive of a repository checkout.
    if [[ -z $archive && -x $here/$app_exe ]]; then
        app=$here
    else
        archive=${archive:-$here/out/$name.tar.xz}
        [[ -f $archive ]] || die "no $app_exe beside this script and no archive $archive (run 'check.sh build' first)"
        echo "unpacking $archive..." >&2
        if command -v xz >/dev/null; then
            tar -xJf "$archive" -C "$tmp"
        else  # python's tarfile reads xz without the xz tool
            "$python" -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$archive" "$tmp"
        fi
        app=$tmp/$name
    fi
    [[ -x $app/$app_exe ]] || die "no $app_exe in $app"

    # Settings. The dry run on the CPU uses tiny batches (2 for the batch-128 cells) and one repeat.
    local rounds=$((quick ? 1 : 3)) big=128 gemm=4096 threads=()
    local -A warmup=([128]=5 [1]=20) repeats=([128]=20 [1]=100)
    ((quick)) && warmup=([128]=2 [1]=10) repeats=([128]=5 [1]=30)
    if [[ $device == cpu ]]; then
        big=2 gemm=256 threads=(--threads 1) warmup=([2]=0 [1]=0) repeats=([2]=1 [1]=1)
    fi
    # Per-command caps (seconds): a hung command costs at most this much of the budget.
    local cap_verify=$((quick ? 40 : 90)) cap_gemm=$((quick ? 25 : 45)) cap_cell=$((quick ? 40 : 75))

    # Machine facts, without the host name.
    {
        echo "cpu=$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//')"
        echo "cpus=$(nproc)"
        echo "memory=$(awk '/MemTotal/ {print $2 " kB"}' /proc/meminfo 2>/dev/null)"
        echo "os=$(uname -srm)"
        echo "python=$("$python" --version 2>&1)"
        if command -v nvidia-smi >/dev/null; then
            echo "nvidiaSmiCuda=$(timeout 20 nvidia-smi 2>/dev/null | grep -o 'CUDA Version: [0-9.]*' | head -1 | cut -d' ' -f3)"
            timeout 20 nvidia-smi --query-gpu=index,name,driver_version,memory.total,clocks.max.sm,power.limit \
                --format=csv,noheader 2>/dev/null | sed 's/^/gpu=/'
        fi
    } > "$work/machine.txt" || true
    cp "$app/BUILD-INFO" "$work/build.txt" 2>/dev/null || true
    step version 20 "$app/$app_exe" --version

    # 1. One training step on the GPU and on the CPU from the same seed, compared by the CLI.
    ours verify "$cap_verify" bench --device "$device" --verify --json
    # ... and the torchvision layout, which rounding barely moves: there every tensor must agree to 1e-3.
    ours verify.torchvision "$cap_verify" bench --device "$device" --verify --model alexnet-torchvision --json
    # ... and the paper net with 8x8 blocking forced on every layer (the first verify checks whatever each layer chose).
    ours verify.blocking8 "$cap_verify" bench --device "$device" --verify --gemm-blocking 8 --json
    # 2. SGEMM, both engines.
    ours gemm.convnet "$cap_gemm" bench --device "$device" --gemm "$gemm" --json
    ours gemm.convnet8 "$cap_gemm" bench --device "$device" --gemm "$gemm" --gemm-blocking 8 --json
    torch_peer gemm.pytorch "$cap_gemm" --device "$device" --gemm "$gemm" --precision fp32 "${threads[@]}"
    # 3. The cells, alternating the engines inside each round so that both see the GPU in the same state.
    local cells=("alexnet train $big" "alexnet-torchvision train $big" "alexnet-torchvision infer $big"
                 "alexnet-torchvision infer 1")
    local r cell model mode batch id
    for ((r = 1; r <= rounds; r++)); do
        for cell in "${cells[@]}"; do
            read -r model mode batch <<< "$cell"
            id="cell.$model.$mode.$batch.r$r"
            ours "$id.convnet" "$cap_cell" bench --device "$device" --model "$model" --mode "$mode" --batch "$batch" \
                --warmup "${warmup[$batch]}" --repeats "${repeats[$batch]}" "${threads[@]}" --json
            torch_peer "$id.pytorch" "$cap_cell" --device "$device" --model "$model" --mode "$mode" --batch "$batch" \
                --warmup "${warmup[$batch]}" --repeats "${repeats[$batch]}" --precision fp32 "${threads[@]}"
        done
    done

    # 3b. The convolution algorithm the cells did not use (implicit GEMM is the default): one run of the paper
    # net's training cell with an explicit im2col pass, so one check says which is faster on this GPU.
    ours algo.lowered "$cap_cell" bench --device "$device" --model alexnet --mode train --batch "$big" --conv-algorithm lowered \
        --warmup "${warmup[$big]}" --repeats "${repeats[$big]}" "${threads[@]}" --json
    # ... and the GEMM's register blockings forced for every layer (the cells let each layer time both when planned:
    # --gemm-blocking auto), 8x8 values per thread (128x128 tiles) and 4x4 (64x64), on the same cell.
    ours algo.blocking8 "$cap_cell" bench --device "$device" --model alexnet --mode train --batch "$big" --gemm-blocking 8 \
        --warmup "${warmup[$big]}" --repeats "${repeats[$big]}" "${threads[@]}" --json
    ours algo.blocking4 "$cap_cell" bench --device "$device" --model alexnet --mode train --batch "$big" --gemm-blocking 4 \
        --warmup "${warmup[$big]}" --repeats "${repeats[$big]}" "${threads[@]}" --json

    # 4. One report.
    mkdir -p "$(dirname "$out")"
    local logs=${out%.json}.logs
    rm -rf "$logs" && cp -r "$work" "$logs"
    local mode_name=full status=0
    ((quick)) && mode_name=quick
    "$python" - "$work" "$out" "$mode_name" "$device" "$SECONDS" "$rounds" "${cells[@]}" <<'PY' || status=$?
import json, os, statistics, sys

work, out, mode, device, seconds, rounds = sys.argv[1:7]
cells = [c.split() for c in sys.argv[7:]]
rounds = int(rounds)
errors, warnings = [], []


def read(path):
    try:
        with open(os.path.join(work, path), errors="replace") as f:
            return f.read()
    except OSError:
        return None


def parse_json(text):
    """The JSON object a command printed (the whole stdout, or the last line or block that parses)."""
    text = (text or "").strip()
    try:
        return json.loads(text)
    except ValueError:
        pass
    decoder = json.JSONDecoder()
    for start in reversed([i for i, ch in enumerate(text) if ch == "{" and (i == 0 or text[i - 1] == "\n")]):
        try:
            return decoder.raw_decode(text[start:])[0]
        except ValueError:
            continue
    return None


def attempt(id):
    cmd = read(id + ".cmd")
    args = (cmd or "").splitlines()  # programs shown by name, not by their temporary folder
    record = {"command": " ".join(os.path.basename(a) if i == 0 or a.endswith(".py") else a
                                  for i, a in enumerate(args))}
    if read(id + ".skip") is not None:
        record["error"] = "skipped: the check's time budget was spent"
        return record
    rc_line = read(id + ".rc")
    if rc_line is None:
        record["error"] = "not run"
        return record
    rc, t0, t1, limit = rc_line.replace(",", ".").split()  # EPOCHREALTIME follows the locale's decimal mark
    rc = int(rc)
    record.update(exitCode=rc, seconds=round(float(t1) - float(t0), 2), timeoutSeconds=int(limit))
    result = parse_json(read(id + ".out"))
    if result is not None:
        record["result"] = result
    if rc in (124, 137):
        record["error"] = f"timed out after {limit} s"
    elif rc != 0:
        record["error"] = f"exit code {rc}"
    elif not isinstance(result, dict):
        record["error"] = "printed no JSON object"
    if "error" in record:
        err = (read(id + ".err") or "").strip()
        record["stderrTail"] = err[-1500:]
        if result is None:
            record["stdoutTail"] = (read(id + ".out") or "").strip()[-500:]
    return record


def run(id, what):
    """One command's record; a failed one with a fallback (CPU dry run without --device) reports the fallback."""
    record = attempt(id)
    if "error" in record and read(id + ".fallback.cmd") is not None:
        first = record
        record = attempt(id + ".fallback")
        record["fallback"] = "retried without --device (this CLI has no such option)"
        record["firstAttempt"] = first
        if "error" not in record:
            warnings.append(f"{what}: ran only without --device ({first['error']} with it)")
    if "error" in record:
        errors.append(f"{what}: {record['error']}")
    return record


def number(value):
    """A figure that may be a number or {median, min, max}."""
    if isinstance(value, dict):
        value = value.get("median")
    return value if isinstance(value, (int, float)) else None


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def ratio(a, b):
    return a / b if a is not None and b else None


machine = {}
for line in (read("machine.txt") or "").splitlines():
    key, _, value = line.partition("=")
    if key == "gpu":
        fields = [f.strip() for f in value.split(",")]
        names = ["index", "name", "driver", "memory", "maxSmClock", "powerLimit"]
        machine.setdefault("gpus", []).append(dict(zip(names, fields)))
    elif value:
        machine[key] = value
build = dict(line.split(" ", 1) for line in (read("build.txt") or "").splitlines() if " " in line)

verify = run("verify", "verify")
verify["agrees"] = verify.get("exitCode") == 0 and "error" not in verify
verify_tv = run("verify.torchvision", "verify alexnet-torchvision")
verify_tv["agrees"] = verify_tv.get("exitCode") == 0 and "error" not in verify_tv
verify_8 = run("verify.blocking8", "verify alexnet, GEMM 8x8 per thread")
verify_8["agrees"] = verify_8.get("exitCode") == 0 and "error" not in verify_8

gemm = {"convnet": run("gemm.convnet", "gemm convnet"), "convnet8x8": run("gemm.convnet8", "gemm convnet 8x8"),
        "pytorch": run("gemm.pytorch", "gemm pytorch")}
for engine in ("convnet", "convnet8x8", "pytorch"):
    res = gemm[engine].get("result") or {}
    tflops = number(res.get("tflops"))
    if tflops is None and number(res.get("gflops")) is not None:
        tflops = number(res.get("gflops")) / 1000
    gemm[engine]["tflops"] = tflops
gemm["ratio"] = ratio(gemm["convnet"]["tflops"], gemm["pytorch"]["tflops"])

report_cells = []
for model, cell_mode, batch in cells:
    entry = {"cell": f"{model} {cell_mode} batch {batch}", "model": model, "mode": cell_mode, "batch": int(batch)}
    for engine in ("convnet", "pytorch"):
        runs, rates, step_ms = [], [], []
        for r in range(1, rounds + 1):
            record = run(f"cell.{model}.{cell_mode}.{batch}.r{r}.{engine}", f"{entry['cell']} round {r} {engine}")
            record["round"] = r
            runs.append(record)
            res = record.get("result") if "error" not in record else None
            if not isinstance(res, dict):
                continue
            rate = number(res.get("imagesPerSecond")) if engine == "convnet" else number(res.get("median"))
            rates.append(rate)
            ms = number(res.get("stepMs")) if engine == "convnet" else None
            step_ms.append(ms if ms is not None else (1000 * int(batch) / rate if rate else None))
        first = next((x["result"] for x in runs if isinstance(x.get("result"), dict) and "error" not in x), {})
        # One rule (docs/performance.md): the median of the rounds' step times, and every rate at that time. The median
        # rate and round 1's GFLOP/s disagreed with it, and with each other when a round was skipped.
        step = median(step_ms)
        summary = {"imagesPerSecond": 1000 * int(batch) / step if step else None, "stepMs": step,
                   "roundsImagesPerSecond": rates}
        if engine == "convnet":
            first_ms = number(first.get("stepMs"))
            at_median = (lambda v: v * first_ms / step if v is not None and first_ms and step else None)
            summary.update(gflops=at_median(number(first.get("gflops"))), percentOfPeak=at_median(number(first.get("percentOfPeak"))),
                           device=first.get("device"), precision=first.get("precision", "fp32"))
        else:
            # On the CPU the script prints neither device nor precision (its output there keeps its old form).
            summary.update(device=first.get("device", "cpu" if first else None), gpu=first.get("gpu"),
                           precision=first.get("precision", "fp32" if first else None), engine=first.get("engine"))
        summary["runs"] = runs
        entry[engine] = summary
    entry["ratio"] = ratio(entry["convnet"]["imagesPerSecond"], entry["pytorch"]["imagesPerSecond"])
    report_cells.append(entry)

# Implicit GEMM (round 1 of the paper-net training cell) against explicit lowering (one run).
lowered = run("algo.lowered", "alexnet train, lowered convolutions")
lowered_res = lowered.get("result") if "error" not in lowered and isinstance(lowered.get("result"), dict) else {}
paper = next((c for c in report_cells if c["model"] == "alexnet" and c["mode"] == "train"), None)
convolution = {
    "cell": f"alexnet train batch {cells[0][2]}" if cells else None,
    "implicitImagesPerSecond": paper["convnet"]["imagesPerSecond"] if paper else None,
    "loweredImagesPerSecond": number(lowered_res.get("imagesPerSecond")),
    "loweredLayers": lowered_res.get("layers"),
    "run": lowered,
}
blocking8 = run("algo.blocking8", "alexnet train, GEMM 8x8 per thread")
blocking8_res = blocking8.get("result") if "error" not in blocking8 and isinstance(blocking8.get("result"), dict) else {}
convolution["gemm8x8ImagesPerSecond"] = number(blocking8_res.get("imagesPerSecond"))
convolution["gemm8x8Layers"] = blocking8_res.get("layers")
convolution["gemm8x8Run"] = blocking8
blocking4 = run("algo.blocking4", "alexnet train, GEMM 4x4 per thread")
blocking4_res = blocking4.get("result") if "error" not in blocking4 and isinstance(blocking4.get("result"), dict) else {}
convolution["gemm4x4ImagesPerSecond"] = number(blocking4_res.get("imagesPerSecond"))
convolution["gemm4x4Layers"] = blocking4_res.get("layers")
convolution["gemm4x4Run"] = blocking4

report = {
    "check": "convnet-gpu-check", "mode": mode, "device": device, "rounds": rounds,
    "seconds": int(seconds), "machine": machine, "build": build,
    "convnetVersion": (read("version.out") or "").strip() or None,
    "ratioMeaning": "ConvNet images/s (or TFLOP/s) divided by PyTorch's; medians over rounds",
    "verify": verify, "verifyTorchvision": verify_tv, "verifyBlocking8": verify_8, "gemm": gemm, "cells": report_cells, "convolutionAlgorithms": convolution,
    "errors": errors, "warnings": warnings,
}
with open(out, "w") as f:
    json.dump(report, f, indent=2)
    f.write("\n")


def fmt(value, digits=1):
    return "-" if value is None else f"{value:,.{digits}f}"


gpu = ", ".join(g.get("name", "?") + " (driver " + g.get("driver", "?") + ")" for g in machine.get("gpus", [])) or "no GPU seen"
print(f"GPU check ({mode}, device {device}, {rounds} round(s), {seconds} s): {gpu}; build {build.get('commit', '?')[:12]}")
for label, v in (("verify", verify), ("verify alexnet-torchvision", verify_tv), ("verify alexnet, 8x8", verify_8)):
    worst = ((v.get("result") or {}).get("verify") or {})
    detail = (f"; closest to its limit: {worst['worstTensor']} {worst['worstError']:.3g} (limit {worst['worstLimit']:.3g})"
              if isinstance(worst.get("worstError"), (int, float)) and isinstance(worst.get("worstLimit"), (int, float)) else "")
    print(f"{label}: " + ("agrees" if v["agrees"] else f"FAILED ({v.get('error', 'disagrees')})") + detail)
g = gemm
print(f"SGEMM: convnet {fmt(g['convnet']['tflops'], 2)} TFLOP/s (8x8 per thread: {fmt(g['convnet8x8']['tflops'], 2)}), "
      f"pytorch {fmt(g['pytorch']['tflops'], 2)} TFLOP/s, ratio {fmt(g['ratio'], 2)}")
print(f"{'cell':<38} {'convnet img/s':>14} {'pytorch img/s':>14} {'ratio':>6} {'convnet ms':>11} {'pytorch ms':>11}")
for c in report_cells:
    o, p = c["convnet"], c["pytorch"]
    print(f"{c['cell']:<38} {fmt(o['imagesPerSecond']):>14} {fmt(p['imagesPerSecond']):>14} {fmt(c['ratio'], 2):>6} "
          f"{fmt(o['stepMs'], 2):>11} {fmt(p['stepMs'], 2):>11}")
cv = convolution
print(f"convolutions in alexnet training: implicit GEMM {fmt(cv['implicitImagesPerSecond'])} img/s, "
      f"explicit im2col {fmt(cv['loweredImagesPerSecond'])} img/s, GEMM 8x8 per thread {fmt(cv['gemm8x8ImagesPerSecond'])} img/s, "
      f"4x4 {fmt(cv['gemm4x4ImagesPerSecond'])} img/s (the cells: each layer's timed choice)")
print(f"{len(errors)} error(s)" + "".join(f"\n  {e}" for e in errors[:12]) + ("\n  ..." if len(errors) > 12 else ""))
if warnings:
    print(f"{len(warnings)} warning(s)" + "".join(f"\n  {w}" for w in warnings[:6]) + ("\n  ..." if len(warnings) > 6 else ""))
print(f"report: {out}")
sys.exit(1 if errors else 0)
PY
    return $status
}

case ${1:-} in
    build) shift; build "$@" ;;
    run) shift; run "$@" ;;
    *) echo "usage: $0 build [--from-head] | run [--quick] [--out REPORT.json] [--archive FILE] [--budget SECONDS]" >&2
       exit 2 ;;
esac
