#!/usr/bin/env bash
# The main job: install what is missing, build, run the bundled model on device 0.
source "$(dirname "$0")/deps.sh"
install_missing "${BUILD_PACKAGES[@]}"
install_lavapipe
build_nngpu
echo "== devices"
"$BUILD/nnrun" --list-devices
echo "== nnrun (bundled digits model, device 0)"
"$BUILD/nnrun" --device 0 "$@"
echo "== nnrun (the same model in INT8, calibrated on training images)"
"$BUILD/nnrun" --device 0 --precision int8 --calibration "$ROOT/models/digits_calib_x.npy" "$@"
