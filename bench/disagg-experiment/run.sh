#!/usr/bin/env bash
# Aggregated vs disaggregated serving of the same model and the same mixed workload on this
# machine (see docs/benchmarks.md). Usage: bench/disagg-experiment/run.sh [OUT_DIR]
# Environment: PROMPTS (default 32), RATE (requests/s, default 0.6), INPUT_LEN (1024),
# OUTPUT_LEN (128), GOODPUT (default "ttft:5000 tpot:100").
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-/tmp/tandem-disagg-experiment}
prompts=${PROMPTS:-32}
rate=${RATE:-0.6}
input_len=${INPUT_LEN:-1024}
output_len=${OUTPUT_LEN:-128}
goodput=${GOODPUT:-ttft:5000 tpot:100}
mkdir -p "$out"
shared=${TANDEM_SHARED:-../shared}

model="$out/model"
if [[ ! -f "$model/config.json" ]]; then
  # A TinyLlama-like model with 8 layers of hidden 1024 (about 150 M parameters, BF16): a 1,024-token
  # prompt takes seconds to prefill on one thread while a decode step takes tens of milliseconds.
  ./tandem model create --preset tinyllama-1.1b --layers 8 --hidden 1024 --heads 16 --kv-heads 4 \
    --intermediate 2816 --dtype bf16 --tokenizer "$shared/models/tinyllama-1.1b-chat-v1.0-tokenizer" --out "$model"
fi

run_mode() {
  local mode=$1
  local config="$out/$mode.yaml"
  sed "s|^model: MODEL|model: $model|" "bench/disagg-experiment/$mode.yaml" > "$config"
  ./tandem up -c "$config" > "$out/$mode.log" 2>&1 &
  local up=$! status=0
  for _ in $(seq 1 300); do
    if curl -sf http://127.0.0.1:8200/health > /dev/null; then break; fi
    if ! kill -0 $up 2>/dev/null; then echo "tandem up exited; see $out/$mode.log" >&2; return 1; fi
    sleep 1
  done
  # shellcheck disable=SC2086
  ./tandem bench serve --base-url http://127.0.0.1:8200 --dataset-name random \
    --random-input-len "$input_len" --random-output-len "$output_len" --random-range-ratio 0.5 \
    --num-prompts "$prompts" --request-rate "$rate" --num-warmups 2 --seed 1 \
    --goodput $goodput --result-filename "$out/$mode.json" --html "$out/$mode.html" | tee "$out/$mode.txt" || status=$?
  # TERM, not INT: a background job of a non-interactive shell ignores SIGINT.
  kill -TERM $up 2>/dev/null || true
  wait $up 2>/dev/null || true
  return "$status"
}

run_mode aggregated
run_mode disaggregated

value() { grep -o "\"$2\": *[0-9.eE+-]*" "$out/$1.json" | head -1 | sed 's/.*: *//'; }
printf '\n| metric | aggregated (2 workers x 1 thread) | disaggregated (1 ctx + 1 gen, 1 thread each) |\n|---|---:|---:|\n'
for key in completed duration request_throughput request_goodput output_throughput mean_ttft_ms median_ttft_ms p99_ttft_ms \
  mean_tpot_ms p99_tpot_ms mean_itl_ms median_itl_ms p99_itl_ms mean_e2el_ms p99_e2el_ms; do
  printf '| %s | %s | %s |\n' "$key" "$(value aggregated $key)" "$(value disaggregated $key)"
done
