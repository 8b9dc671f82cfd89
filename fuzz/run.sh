#!/usr/bin/env bash
# Coverage-guided fuzzing of one ConvNet parser with AFL++ and SharpFuzz (issue 14).
#   fuzz/run.sh list              the targets
#   fuzz/run.sh TARGET SECONDS    fuzz TARGET for SECONDS (nice -n 19, one core), then print what afl-fuzz found
#   fuzz/run.sh TARGET SECONDS --continue
#                                 start from the corpus the target's latest run ended with and the committed corpus
#                                 fuzz/corpus/TARGET.tar.xz instead of fresh seeds, so fuzzing time adds up across runs
#                                 and clones (afl-fuzz re-measures that corpus's coverage first)
#   fuzz/run.sh TARGET --save-corpus
#                                 minimise every run's queue of TARGET and the committed corpus by afl-cmin to the inputs
#                                 that keep their coverage, and write them to fuzz/corpus/TARGET.tar.xz for committing
# Works on a fresh machine: installs afl++ (apt) and the SharpFuzz.CommandLine dotnet tool when missing, publishes the
# harness (fuzz/ConvNet.Fuzz), instruments the ConvNet assemblies, writes valid seeds with the project's own writers.
# Everything but the saved corpora goes under fuzz/out/ (git-ignored): out/TARGET/UTC-TIME-PID/ holds afl-fuzz's output
# (default/crashes, default/hangs, default/queue, default/fuzzer_stats). Reproduce a finding outside afl-fuzz (uninstrumented) with
#   dotnet run --project fuzz/ConvNet.Fuzz -c Release -- run TARGET FILE...
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/out"
corpus_dir="$here/corpus"
# One harness build per invocation, so a second target (or --save-corpus) can start while a run is fuzzing.
publish="$out/publish-$$"
trap 'rm -rf "$publish" "$out/publish-$$.log"' EXIT
tools="$out/tools"
sharpfuzz_version=2.3.0

usage() { echo "usage: fuzz/run.sh list | fuzz/run.sh TARGET SECONDS [--continue] | fuzz/run.sh TARGET --save-corpus" >&2; exit 2; }
[ $# -ge 1 ] || usage
continue_from_last=0 save_corpus=0
if [ $# -eq 2 ] && [ "$2" = --save-corpus ]; then
  save_corpus=1
  set -- "$1" 0
elif [ $# -eq 3 ]; then
  [ "$3" = --continue ] || usage
  continue_from_last=1
  set -- "$1" "$2"
fi

if [ $# -ne 1 ] || [ "$1" != list ]; then
  [ $# -eq 2 ] && [[ "$2" =~ ^[0-9]+$ ]] || usage
  if ! command -v afl-fuzz >/dev/null; then
    echo "== installing afl++ (apt)"
    (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q afl++) >"$out-apt.log" 2>&1 \
      || { echo "error: could not install afl++ (see $out-apt.log)" >&2; exit 1; }
  fi
  if [ ! -x "$tools/sharpfuzz" ]; then
    echo "== installing the SharpFuzz.CommandLine $sharpfuzz_version dotnet tool into $tools"
    dotnet tool install SharpFuzz.CommandLine --version "$sharpfuzz_version" --tool-path "$tools" >/dev/null
  fi
fi

# A fresh publish every time: sharpfuzz rewrites the assemblies in place and refuses ones it already instrumented.
mkdir -p "$out"
echo "== publishing fuzz/ConvNet.Fuzz" >&2
rm -rf "$publish"
nice -n 10 dotnet publish "$here/ConvNet.Fuzz" -c Release -o "$publish" --nologo -v q >"$out/publish-$$.log" 2>&1 \
  || { cat "$out/publish-$$.log" >&2; echo "error: the harness did not build" >&2; exit 1; }
harness=(dotnet "$publish/ConvNet.Fuzz.dll")

if [ $# -eq 1 ] && [ "$1" = list ]; then "${harness[@]}" list; exit 0; fi
target="$1" seconds="$2"
"${harness[@]}" list | awk '{print $1}' | grep -qx "$target" || { echo "error: no target '$target'; fuzz/run.sh list names them" >&2; exit 2; }

# This target's run folders whose queue holds inputs (a run that stopped before afl-fuzz started has none), newest first.
queues() {
  local queue
  for queue in $(ls -d "$out/$target"/*/default/queue 2>/dev/null | sort -r); do
    if [ -n "$(find "$queue" -maxdepth 1 -type f -name 'id:*' -print -quit)" ]; then echo "$queue"; fi
  done
}
# A queue's own files (not afl-fuzz's bookkeeping folders, .state, beside them) into folder $2, names prefixed by $3.
copy_queue() {
  local f
  for f in "$1"/id:*; do
    if [ -f "$f" ]; then cp "$f" "$2/$3$(basename "$f")"; fi
  done
}
mapfile -t all_queues < <(queues)
archive="$corpus_dir/$target.tar.xz"
if [ "$continue_from_last" = 1 ] && [ ${#all_queues[@]} -eq 0 ] && [ ! -f "$archive" ]; then
  echo "error: --continue: no earlier run of '$target' with a corpus under $out/$target, and no $archive" >&2; exit 2
fi
if [ "$save_corpus" = 1 ] && [ ${#all_queues[@]} -eq 0 ]; then
  echo "error: --save-corpus: no run of '$target' with a queue under $out/$target" >&2; exit 2
fi
run="$out/$target/$(date -u +%Y%m%dT%H%M%SZ)-$$"
mkdir -p "$run/in"
if [ "$save_corpus" = 1 ]; then
  # Every queue of this target and the committed corpus: afl-cmin keeps what any of them covers.
  i=0
  for queue in "${all_queues[@]}"; do copy_queue "$queue" "$run/in" "q$i-"; i=$((i + 1)); done
  if [ -f "$archive" ]; then tar -xJf "$archive" -C "$run/in" --transform 's|^|committed-|'; fi
elif [ "$continue_from_last" = 1 ]; then
  # The newest queue and the committed corpus (inputs that add no coverage cost afl-fuzz little: it favours others).
  if [ ${#all_queues[@]} -gt 0 ]; then copy_queue "${all_queues[0]}" "$run/in" ""; fi
  if [ -f "$archive" ]; then tar -xJf "$archive" -C "$run/in" --transform 's|^|committed-|'; fi
  echo "== continuing from $(ls "$run/in" | wc -l) inputs: ${all_queues[0]:-no earlier run here}$([ -f "$archive" ] && echo " and $archive")" >&2
else
  # Seeds before instrumenting: instrumented code runs only under afl-fuzz.
  "${harness[@]}" seeds "$target" "$run/in"
fi
# Our code is instrumented (the parsers, the serve request code, the ONNX protobuf runtime); SkiaSharp is native and
# System.Text.Json is in the shared framework, so neither is.
for dll in ConvNet.dll ConvNet.Serving.dll Google.Protobuf.dll; do
  "$tools/sharpfuzz" "$publish/$dll" >/dev/null || { echo "error: sharpfuzz could not instrument $dll" >&2; exit 1; }
done

export AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_AFFINITY=1
if [ "$save_corpus" = 1 ]; then
  # afl-cmin keeps, for every edge, the smallest input that reaches it; a flat archive of those is the committed corpus.
  echo "== afl-cmin: $(ls "$run/in" | wc -l) inputs of $target" >&2
  nice -n 19 afl-cmin -i "$run/in" -o "$run/min" -t 5000 -m none -- "$(readlink -f "$(command -v dotnet)")" "$publish/ConvNet.Fuzz.dll" fuzz "$target" >"$run/cmin.log" 2>&1 \
    || { tail -20 "$run/cmin.log" >&2; echo "error: afl-cmin failed (log: $run/cmin.log)" >&2; exit 1; }
  mkdir -p "$corpus_dir"
  # Files renamed by their content hash, so the archive does not depend on afl's queue names; sorted, no owners or
  # times, so the same inputs always make the same archive.
  mkdir -p "$run/named"
  for f in "$run/min"/*; do cp "$f" "$run/named/$(sha256sum "$f" | cut -c1-16)"; done
  (cd "$run/named" && ls | LC_ALL=C sort | tar --format=gnu --owner=0 --group=0 --numeric-owner --mtime=@0 --mode=u=rw,go=r -cf - -T - | xz -9e -T1 > "$corpus_dir/$target.tar.xz.tmp")
  mv "$corpus_dir/$target.tar.xz.tmp" "$corpus_dir/$target.tar.xz"
  echo "corpus:     $(ls "$run/named" | wc -l) inputs (from $(ls "$run/in" | wc -l)) -> $corpus_dir/$target.tar.xz ($(stat -c %s "$corpus_dir/$target.tar.xz") bytes)"
  exit 0
fi

dict=()
[ -f "$here/dict/$target.dict" ] && dict=(-x "$here/dict/$target.dict")
echo "== afl-fuzz: $target for $seconds s, $(ls "$run/in" | wc -l) inputs"
# -t: a run longer than 5 s is a hang (every parser refuses a bad file in well under a second).
nice -n 19 afl-fuzz -V "$seconds" -t 5000 -m none "${dict[@]}" -i "$run/in" -o "$run" -- "${harness[@]}" fuzz "$target" \
  >"$run/afl.log" 2>&1 || { tail -30 "$run/afl.log" >&2; echo "error: afl-fuzz failed (log: $run/afl.log)" >&2; exit 1; }

stats="$run/default/fuzzer_stats"
field() { awk -F' *: *' -v k="$1" '$1 == k { print $2 }' "$stats"; }
crashes=$(find "$run/default/crashes" -type f -name 'id:*' | wc -l)
hangs=$(find "$run/default/hangs" -type f -name 'id:*' | wc -l)
echo "target:     $target"
echo "seconds:    $(field run_time)"
echo "executions: $(field execs_done) ($(field execs_per_sec)/s at the end)"
echo "paths:      $(field corpus_count) in the corpus ($(field corpus_found) found, $(field bitmap_cvg) of the map)"
echo "edges:      $(field edges_found)"
last_find=$(field last_find) ended=$(( $(field start_time) + $(field run_time) ))
if [ "${last_find:-0}" -gt 0 ]; then
  echo "last find:  $(( ended - last_find )) s before the end"
else
  echo "last find:  none in this run"
fi
echo "crashes:    $crashes"
echo "hangs:      $hangs"
echo "output:     $run"
if [ "$crashes" -gt 0 ] || [ "$hangs" -gt 0 ]; then
  echo "reproduce:  dotnet run --project fuzz/ConvNet.Fuzz -c Release -- run $target $run/default/crashes/id:* $run/default/hangs/id:*"
fi
