#!/usr/bin/env bash
# One-stop set-up for a fresh Debian 12 machine.
#   packaging/setup.sh run    install what is missing, build (Release), run the demo
#                             (the studio when a display is present, else the headless pipeline)
#   packaging/setup.sh test   install what is missing, build (Release), run every test; then
#                             build the sanitizer subset (ASan+UBSan) and run its fast tests
#                             (MITOSEG_SANITIZER_TESTS=0 skips that part)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mode="${1:-run}"
build="${MITOSEG_BUILD_DIR:-$here/build}"
asan_build="${MITOSEG_ASAN_BUILD_DIR:-$here/build-asan}"

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
    status=0
    # Everything renders under a virtual X server (VTK needs GLX); Qt widget tests run offscreen.
    (cd "$build" && xvfb-run -a -s "-screen 0 1280x1024x24" ctest --output-on-failure --timeout 1800) || status=1
    [ "$status" -eq 0 ] || echo "== the Release suite FAILED"
    if [ "${MITOSEG_SANITIZER_TESTS:-1}" != 0 ]; then
      # The subset that fits CI's time (README, Tests > Sanitizers): everything but the GUI (core
      # library, mitoseg, core_tests, cli_tests with the hostile corpus), -O1, fast tests only.
      echo "== sanitizer subset: ASan+UBSan build (GUI off, -O1) in $asan_build"
      start=$(date +%s)
      cmake -S "$here" -B "$asan_build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DMITOSEG_SANITIZE=ON \
            -DMITOSEG_BUILD_GUI=OFF >/dev/null
      cmake --build "$asan_build" -j "$(nproc)"
      echo "== sanitizer build took $(( $(date +%s) - start )) s"
      echo "== sanitizer subset: ctest -LE slow under ASan+UBSan"
      start=$(date +%s)
      # Any report fails its test: ASan and UBSan stop at the first error with exit status 1, and
      # leaks are checked at every exit (one suppression, packaging/lsan.supp: a VTK global). A huge
      # allocation throws bad_alloc, as it does without ASan, so the refusals stay testable.
      (cd "$asan_build" &&
         ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:allocator_may_return_null=1" \
         UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1" \
         LSAN_OPTIONS="suppressions=$here/packaging/lsan.supp" \
         ctest -LE slow --output-on-failure --timeout 900 -j "$(nproc)") || { status=1; echo "== the sanitizer subset FAILED"; }
      echo "== sanitizer tests took $(( $(date +%s) - start )) s"
    fi
    exit "$status"
    ;;
  *)
    echo "usage: $0 run|test" >&2
    exit 2
    ;;
esac
