#!/usr/bin/env bash
# The whole test suite: install what is missing (Debian packages, and the
# Python test tools in .venv), build, run ctest.
source "$(dirname "$0")/deps.sh"
install_missing "${BUILD_PACKAGES[@]}" "${TEST_PACKAGES[@]}"
install_lavapipe
VENV="$ROOT/.venv"
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import onnx, onnxruntime, numpy, sympy" 2>/dev/null; then
  echo "== Python test tools into $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check -r "$ROOT/tests/requirements.txt"
fi
build_nngpu -DNNGPU_PYTHON="$VENV/bin/python"
echo "== ctest"
cd "$BUILD"
ctest --output-on-failure -j 2 "$@"
