#!/bin/sh
# Builds nngpu's benchmarks and runs them, writing BUILD_DIR/bench_results/*.json and *.txt.
#   bench/run.sh [BUILD_DIR]        (default: build/ in the source tree)
# Environment: PYTHON (default /tmp/venvtest/bin/python, else python3; needs numpy, onnx,
# onnxruntime), DEVICE (default opencl:0), RUNS (default 20), WARMUP (default 3),
# ROUNDS (MobileNetV2 alternations, default 3).
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$SRC/build}
OUT=$BUILD/bench_results
DEVICE=${DEVICE:-opencl:0}
RUNS=${RUNS:-20}
WARMUP=${WARMUP:-3}
ROUNDS=${ROUNDS:-3}
if [ -z "${PYTHON:-}" ]; then
    if [ -x /tmp/venvtest/bin/python ]; then PYTHON=/tmp/venvtest/bin/python; else PYTHON=python3; fi
fi

cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD" --target bench_gemm nnrun -j2
mkdir -p "$OUT"

{
    echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "commit: $(git -C "$SRC" rev-parse --short HEAD 2>/dev/null || echo unknown)" \
         "$(git -C "$SRC" status --porcelain 2>/dev/null | grep -q . && echo '(uncommitted changes)')"
    echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores"
    echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
    "$BUILD/nnrun" --list-devices | sed -n 1,2p
    dpkg-query -W -f='${Package} ${Version}\n' libclblast1 libpocl2 2>/dev/null || true
    "$PYTHON" -c 'import onnxruntime, onnx; print("onnxruntime", onnxruntime.__version__, "onnx", onnx.__version__)'
} > "$OUT/machine.txt"
cat "$OUT/machine.txt"

echo "== SGEMM 1024^3: ours vs CLBlast"
"$BUILD/bench_gemm" --device "$DEVICE" --runs "$RUNS" --warmup "$WARMUP" | tee "$OUT/gemm.txt"
"$BUILD/bench_gemm" --device "$DEVICE" --runs "$RUNS" --warmup "$WARMUP" --json > "$OUT/gemm.json"

echo "== MobileNetV2: ours vs onnxruntime"
"$PYTHON" "$SRC/bench/mobilenetv2.py" --nnrun "$BUILD/nnrun" --device "$DEVICE" --runs "$RUNS" \
    --warmup "$WARMUP" --rounds "$ROUNDS" --json > "$OUT/mobilenetv2.json"
"$PYTHON" - "$OUT/mobilenetv2.json" "$SRC/bench" <<'PY' | tee "$OUT/mobilenetv2.txt"
import json, sys
sys.path.insert(0, sys.argv[2])
from mobilenetv2 import print_report
print_report(json.load(open(sys.argv[1])))
PY
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/machine.txt"
echo "results in $OUT"
