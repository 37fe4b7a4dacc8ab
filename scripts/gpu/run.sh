#!/bin/bash
# On a lent GPU machine (see bundle.sh): points the carried loaders at the
# NVIDIA drivers, lists the devices, runs the op tests and the benchmarks on
# the GPU's backends, and writes logs into $OUT (or ./gpu_out).
#   for the device tool: carry [".gpu"], command "bash scripts/gpu/run.sh [STEPS]"
# STEPS (default: devices tests bench): devices tests bench tune
set -uo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
G=$SRC/.gpu
OUT=${OUT:-$SRC/gpu_out}
mkdir -p "$OUT"
export LD_LIBRARY_PATH=$G/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export NNGPU_CACHE_DIR=${NNGPU_CACHE_DIR:-/tmp/nngpu-cache}
# Vulkan: the NVIDIA ICD manifest, where the image keeps it.
for f in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json \
         /etc/vulkan/icd.d/nvidia_icd.json; do
    [ -f "$f" ] && { export VK_DRIVER_FILES=$f VK_ICD_FILENAMES=$f; break; }
done
# OpenCL: an ICD file naming NVIDIA's OpenCL library, for the carried ocl-icd loader.
mkdir -p "$G/icd"
ocl=$(ls /usr/local/nvidia/lib64/libnvidia-opencl.so* /usr/lib/x86_64-linux-gnu/libnvidia-opencl.so* \
         2>/dev/null | head -1)
[ -n "$ocl" ] && echo "$ocl" > "$G/icd/nvidia.icd" && export OCL_ICD_VENDORS=$G/icd
PY=$(command -v python3)
STEPS=${*:-devices tests bench}
step() { case " $STEPS " in *" $1 "*) return 0 ;; esac; return 1; }
cd "$SRC"
if step devices; then
    { nvidia-smi -L; echo "vulkan icd: ${VK_DRIVER_FILES:-none}; opencl icd: ${ocl:-none}"
      "$G/bin/nnrun" --list-devices; } 2>&1 | tee "$OUT/devices.txt"
fi
if step tests; then
    for t in test_ops test_ops_nn test_ops_fp16 test_ops_quant; do
        echo "== $t"; "$G/bin/$t" 2>&1 | tail -40
    done 2>&1 | tee "$OUT/tests.txt"
fi
gpus=$("$G/bin/nnrun" --list-devices --json | "$PY" -c \
    'import json,sys; print(",".join(d["selector"] for d in json.load(sys.stdin) if d["type"]=="gpu"))')
if step bench; then
    for d in ${gpus//,/ }; do
        case $d in opencl:*) "$G/bin/bench_gemm" --device "$d" --runs 20 --warmup 3 ;; esac
    done 2>&1 | tee "$OUT/gemm.txt"
    [ -n "$gpus" ] && "$PY" bench/precision.py --build "$G/bin" --devices "$gpus" --json "$OUT/precision.json" \
        2>&1 | tee "$OUT/precision.txt"
fi
if step tune; then # per GPU device: defaults vs tuned (issue 4's benchmark)
    for d in ${gpus//,/ }; do
        "$PY" bench/tune_models.py --build "$G/bin" --device "$d" --budget 120 --runs 20
    done 2>&1 | tee "$OUT/tune.txt"
fi
