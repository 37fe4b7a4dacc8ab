# Sourced by run.sh and test.sh: installs the Debian packages nngpu needs
# (only those missing) and builds into build/.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="$ROOT/build"

BUILD_PACKAGES=(build-essential cmake pkg-config ocl-icd-opencl-dev opencl-headers
  pocl-opencl-icd clinfo libclblast-dev libprotobuf-c-dev protobuf-c-compiler libonnx-dev
  libsqlite3-dev libvulkan-dev glslang-tools spirv-tools mesa-vulkan-drivers vulkan-tools)
TEST_PACKAGES=(python3 python3-venv python3-pip)

install_missing() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "== installing: ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
}

build_nngpu() {
  echo "== building into $BUILD"
  cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
  cmake --build "$BUILD" -j "$(nproc)"
}
