# Sourced by run.sh and test.sh: installs the Debian packages nngpu needs
# (only those missing) and builds into build/.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="$ROOT/build"

BUILD_PACKAGES=(build-essential cmake pkg-config ocl-icd-opencl-dev opencl-headers
  pocl-opencl-icd clinfo libclblast-dev libprotobuf-c-dev protobuf-c-compiler libonnx-dev
  libsqlite3-dev libvulkan-dev glslang-tools spirv-tools vulkan-tools)
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

# lavapipe, the Vulkan device on the CPU: Mesa 25 from bookworm-backports runs
# nngpu's shaders 5-8x faster than Debian 12's Mesa 22.3, whose divergent
# buffer loads are a scalar loop per lane (bench/README.md, "lavapipe: Mesa
# 22.3 or 25"). Falls back to Debian 12's own if backports cannot be had.
LAVAPIPE_MIN_VERSION=25
install_lavapipe() {
  local have sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  have="$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null || true)"
  if [ -n "$have" ] && dpkg --compare-versions "$have" ge "$LAVAPIPE_MIN_VERSION"; then return; fi
  local codename
  codename="$(. /etc/os-release && echo "${VERSION_CODENAME:-}")"
  if [ "$codename" = bookworm ]; then
    if ! grep -rqs "bookworm-backports" /etc/apt/sources.list /etc/apt/sources.list.d/; then
      printf 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' |
        $sudo tee /etc/apt/sources.list.d/bookworm-backports.sources >/dev/null
    fi
    echo "== installing: mesa-vulkan-drivers from bookworm-backports"
    $sudo apt-get update -qq || true
    if DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
        --no-install-recommends -t bookworm-backports mesa-vulkan-drivers; then
      return
    fi
    echo "== warning: bookworm-backports' Mesa could not be installed; using Debian 12's lavapipe" >&2
  fi
  install_missing mesa-vulkan-drivers
}

build_nngpu() {
  echo "== building into $BUILD"
  cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
  cmake --build "$BUILD" -j "$(nproc)"
}
