#!/usr/bin/env bash
# Tandem vs LLamaSharp (llama.cpp) on the TinyLlama-1.1B shape: one run, one Markdown table.
#
# usage: bench/run-engine-comparison.sh OUT_DIR [--small] [--threads N] [--allow-missing-quantization]
#   OUT_DIR   working directory for checkpoints, GGUF files and JSON reports (~10 GB for the full shape)
#   --small   a small shape (2 layers, hidden 128, TinyLlama's 32000 vocabulary) and short runs: a smoke test in minutes
#   --threads compute threads for every engine (default 2)
#   --allow-missing-quantization
#             run even if `tandem bench engine` lacks --quantization (the int8/int4 rows then say "not run");
#             without it the script stops with an error in that case
#
# Steps: random-weight BF16 checkpoint (tandem model create) -> BF16 GGUF (tandem model export-gguf)
# -> Q8_0 and Q4_0 GGUF (llama.cpp's quantizer via LLamaSharp, pure: every matrix in that type)
# -> host limits once (bench/Tandem.Bench.Kernels calibrate) -> Tandem on safetensors BF16/int8/int4
# (BF16 on AMX tiles where the CPU has them, and again with TANDEM_AMX=0) and on the three GGUF files -> LLamaSharp on the three GGUF files -> the table (OUT_DIR/table.md).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out=""; small=0; threads=2; allow_missing=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --small) small=1 ;;
    --threads) threads="$2"; shift ;;
    --allow-missing-quantization) allow_missing=1 ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    -*) echo "error: unknown option $1" >&2; exit 2 ;;
    *) out="$1" ;;
  esac
  shift
done
[[ -n "$out" ]] || { echo "error: give an output directory (see --help)" >&2; exit 2; }
mkdir -p "$out"; out="$(cd "$out" && pwd)"
tokenizer="${TANDEM_SHARED:-$root/../shared}/models/tinyllama-1.1b-chat-v1.0-tokenizer"
[[ -d "$tokenizer" ]] || { echo "error: TinyLlama tokenizer not found at $tokenizer" >&2; exit 1; }

if [[ $small == 1 ]]; then
  shape=(--preset tiny --layers 2 --hidden 128 --heads 4 --kv-heads 2 --head-dim 32 --intermediate 256)
  prefill=64,256; batches=1,4,8; decode=16
else
  shape=(--preset tinyllama-1.1b)
  prefill=128,1024; batches=1,8,32; decode=64
fi

tandem="$root/tandem"
step() { echo "== $*" >&2; }

step "building the benchmark tools"
"$tandem" --help > /dev/null
dotnet build "$root/bench/Tandem.Bench.LlamaSharp" -c Release --nologo -v quiet -clp:ErrorsOnly -o "$out/bin/llamasharp" >&2
dotnet build "$root/bench/Tandem.Bench.Kernels" -c Release --nologo -v quiet -clp:ErrorsOnly -o "$out/bin/kernels" >&2
llamasharp=(dotnet "$out/bin/llamasharp/Tandem.Bench.LlamaSharp.dll")

has_quantization=1
if ! "$tandem" bench engine --help | grep -q -- '--quantization'; then
  has_quantization=0
  if [[ $allow_missing == 0 ]]; then
    echo "error: 'tandem bench engine' has no --quantization option, so the Tandem int8/int4 rows cannot run." >&2
    echo "       (Pass --allow-missing-quantization to run the rest anyway; those rows will then read 'not run'.)" >&2
    exit 1
  fi
  echo "WARNING: 'tandem bench engine' lacks --quantization: Tandem int8/int4 rows will NOT be run" >&2
fi

model="$out/model-bf16"
if [[ ! -f "$model/config.json" ]]; then
  step "creating the random-weight BF16 checkpoint"
  "$tandem" model create "${shape[@]}" --dtype bf16 --tokenizer "$tokenizer" --out "$model"
fi
[[ -f "$out/model-bf16.gguf" ]] || { step "exporting BF16 GGUF"; "$tandem" model export-gguf "$model" "$out/model-bf16.gguf"; }
for q in q8_0 q4_0; do
  [[ -f "$out/model-$q.gguf" ]] || { step "quantizing $q with llama.cpp"; "${llamasharp[@]}" quantize "$out/model-bf16.gguf" "$out/model-$q.gguf" "$q" --threads "$threads"; }
done

step "measuring the host's limits on $threads threads"
limits="$(dotnet "$out/bin/kernels/Tandem.Bench.Kernels.dll" calibrate "$threads" | tail -1)"
echo "$limits" >&2
bandwidth="$(sed -n 's/.*bandwidth_gbps=\([0-9.]*\).*/\1/p' <<< "$limits")"
peak="$(sed -n 's/.*peak_gflops=\([0-9.]*\).*/\1/p' <<< "$limits")"

common=(--threads "$threads" --prefill-tokens "$prefill" --batch "$batches" --decode-tokens "$decode" --bandwidth-gbps "$bandwidth" --peak-gflops "$peak")
rows=()
tandem_run() { # name, then bench engine arguments
  local name="$1"; shift
  step "Tandem $name"
  "$tandem" bench engine "$@" "${common[@]}" --json "$out/tandem-$name.json" >&2
}

tandem_run safetensors-bf16 "$model"
rows+=("Tandem:BF16 safetensors:$out/tandem-safetensors-bf16.json:BF16 gguf")
# BF16 runs on AMX tiles where the CPU has them; the same model on the vector kernels (AVX-512, else AVX2) for
# comparison. On a CPU without AMX this row repeats the one above.
TANDEM_AMX=0 tandem_run safetensors-bf16-avx512 "$model"
rows+=("Tandem:BF16 safetensors (TANDEM_AMX=0, no AMX tiles):$out/tandem-safetensors-bf16-avx512.json:BF16 gguf")
for q in int8:Q8_0 int4:Q4_0; do
  kind="${q%%:*}"; vs="${q##*:}"
  if [[ $has_quantization == 1 ]]; then
    tandem_run "safetensors-$kind" "$model" --quantization "$kind"
    rows+=("Tandem:$kind safetensors:$out/tandem-safetensors-$kind.json:$vs gguf")
  fi
done
for f in bf16:BF16 q8_0:Q8_0 q4_0:Q4_0; do
  file="${f%%:*}"; label="${f##*:}"
  tandem_run "gguf-$file" "$out/model-$file.gguf" --tokenizer "$model"
  rows+=("Tandem:$label gguf:$out/tandem-gguf-$file.json:$label gguf")
done
for f in bf16:BF16 q8_0:Q8_0 q4_0:Q4_0; do
  file="${f%%:*}"; label="${f##*:}"
  step "LLamaSharp $label gguf"
  "${llamasharp[@]}" run "$out/model-$file.gguf" "${common[@]}" --json "$out/llamasharp-gguf-$file.json" >&2
  rows+=("LLamaSharp:$label gguf:$out/llamasharp-gguf-$file.json")
done

step "table"
"${llamasharp[@]}" table "${rows[@]}" > "$out/table.md"
if [[ $has_quantization == 0 ]]; then
  printf '\nNot run: Tandem int8 / int4 safetensors (this tandem has no `bench engine --quantization`).\n' >> "$out/table.md"
fi
cat "$out/table.md"
echo "(also in $out/table.md; JSON reports in $out)" >&2
