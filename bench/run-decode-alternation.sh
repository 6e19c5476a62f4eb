#!/usr/bin/env bash
# Batch-1 decode, Tandem and LLamaSharp alternated on the same GGUF files, for a ratio that a shared host's swings
# in bandwidth do not decide: each round reads the host's bandwidth, then runs both engines on each file one right
# after the other (which engine goes first alternates from round to round), and the table takes the median of the
# per-round ratios.
#
# usage: bench/run-decode-alternation.sh OUT_DIR [--rounds N] [--threads N] [--decode-tokens N]
#   OUT_DIR   the directory of bench/run-engine-comparison.sh (its model-*.gguf files, model-bf16 tokenizer and bin/)
#   --rounds  rounds (default 5)
#   --threads compute threads for both engines (default 2)
#   --decode-tokens tokens per decode run (default 64)
# Output: OUT_DIR/alternation/r<round>-<engine>-<format>.json and OUT_DIR/alternation/table.md.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out=""; rounds=5; threads=2; decode=64
while [[ $# -gt 0 ]]; do
  case "$1" in
    --rounds) rounds="$2"; shift ;;
    --threads) threads="$2"; shift ;;
    --decode-tokens) decode="$2"; shift ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    -*) echo "error: unknown option $1" >&2; exit 2 ;;
    *) out="$1" ;;
  esac
  shift
done
[[ -n "$out" ]] || { echo "error: give the output directory of bench/run-engine-comparison.sh (see --help)" >&2; exit 2; }
out="$(cd "$out" && pwd)"
for f in model-bf16.gguf model-q8_0.gguf model-q4_0.gguf model-bf16/tokenizer.json bin/kernels/Tandem.Bench.Kernels.dll bin/llamasharp/Tandem.Bench.LlamaSharp.dll; do
  [[ -e "$out/$f" ]] || { echo "error: $out/$f is missing: run bench/run-engine-comparison.sh $out first" >&2; exit 1; }
done
dir="$out/alternation"; mkdir -p "$dir"; rm -f "$dir"/r*-*.json
tandem="$root/tandem"; "$tandem" --help > /dev/null
llamasharp=(dotnet "$out/bin/llamasharp/Tandem.Bench.LlamaSharp.dll")
run_tandem() { "$tandem" bench engine "$out/model-$1.gguf" --tokenizer "$out/model-bf16" --threads "$threads" --prefill-tokens 128 --batch 1 --decode-tokens "$decode" --bandwidth-gbps "$2" --json "$dir/r$3-tandem-$1.json" > /dev/null 2>&1; }
run_llamasharp() { "${llamasharp[@]}" run "$out/model-$1.gguf" --threads "$threads" --prefill-tokens 128 --batch 1 --decode-tokens "$decode" --bandwidth-gbps "$2" --json "$dir/r$3-llamasharp-$1.json" > /dev/null 2>&1; }
for ((r = 1; r <= rounds; r++)); do
  limits="$(dotnet "$out/bin/kernels/Tandem.Bench.Kernels.dll" calibrate "$threads" | tail -1)"
  bandwidth="$(sed -n 's/.*bandwidth_gbps=\([0-9.]*\).*/\1/p' <<< "$limits")"
  echo "== round $r of $rounds: $limits" >&2
  for format in bf16 q8_0 q4_0; do
    if (( r % 2 == 1 )); then run_tandem "$format" "$bandwidth" "$r"; run_llamasharp "$format" "$bandwidth" "$r"
    else run_llamasharp "$format" "$bandwidth" "$r"; run_tandem "$format" "$bandwidth" "$r"; fi
  done
done
"${llamasharp[@]}" alternation "$dir" > "$dir/table.md"
cat "$dir/table.md"
