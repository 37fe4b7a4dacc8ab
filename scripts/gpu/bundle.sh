#!/bin/sh
# Packs what a run on a lent GPU machine needs into .gpu/ (git-ignored): the
# tools and test binaries built here plus the shared libraries they load
# that such a machine may lack (OpenCL ICD loader, Vulkan loader, CLBlast,
# protobuf-c, SQLite). The GPU machine has no network and no Debian
# packages; its Python has numpy, onnx and onnxruntime. Then carry `.gpu`
# and run scripts/gpu/run.sh there (see bench/README.md, "On a GPU").
#   scripts/gpu/bundle.sh [BUILD_DIR]
set -eu
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$SRC/build}
DEST=$SRC/.gpu
cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD" -j"$(nproc)" >/dev/null
EXCLUDE=$(git -C "$SRC" rev-parse --git-path info/exclude)
mkdir -p "$(dirname "$EXCLUDE")"
grep -qx '/.gpu/' "$EXCLUDE" 2>/dev/null || echo '/.gpu/' >> "$EXCLUDE"
rm -rf "$DEST"
mkdir -p "$DEST/bin" "$DEST/lib"
for t in nnrun nntune bench_gemm bench_session tune_strategies test_ops test_ops_nn test_ops_fp16 \
         test_ops_quant case_runner; do
    cp "$BUILD/$t" "$DEST/bin/"
done
strip "$DEST"/bin/* 2>/dev/null || true
# Every resolved library but the C/C++ runtime, which the GPU machine has.
ldd "$BUILD/nnrun" | awk '/=> \//{print $3}' |
    grep -Ev '/(libc|libm|libstdc\+\+|libgcc_s|libpthread|libdl|librt)\.so' |
    while read -r lib; do cp -L "$lib" "$DEST/lib/"; done
du -sh "$DEST"
