#!/usr/bin/env bash
# One-stop set-up for a fresh Debian 12 machine.
#   packaging/setup.sh run    install what is missing, build (Release), run the demo
#                             (the studio when a display is present, else the headless pipeline)
#   packaging/setup.sh test   install what is missing, build (Release), run every test
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mode="${1:-run}"
build="${MITOSEG_BUILD_DIR:-$here/build}"

packages=(cmake ninja-build g++ clang qt6-base-dev libqt6opengl6-dev qt6-charts-dev libtorch-dev libgloo-dev
          libvtk9-dev libtiff-dev libtiff-tools nlohmann-json3-dev libgtest-dev xvfb xauth libgl1-mesa-dri
          python3-torch python3-tifffile python3-skimage)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "== installing: ${missing[*]}"
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

echo "== configuring and building (Release) in $build"
start=$(date +%s)
cmake -S "$here" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j "$(nproc)"
echo "== build took $(( $(date +%s) - start )) s"

case "$mode" in
  run)
    if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
      exec "$build/app/mitoseg-studio"
    else
      echo "== no display: running the headless pipeline on the demo stack"
      exec "$build/app/mitoseg" demo --out "$build/demo-output"
    fi
    ;;
  test)
    cd "$build"
    # Everything renders under a virtual X server (VTK needs GLX); Qt widget tests run offscreen.
    exec xvfb-run -a -s "-screen 0 1280x1024x24" ctest --output-on-failure --timeout 1800
    ;;
  *)
    echo "usage: $0 run|test" >&2
    exit 2
    ;;
esac
