#!/bin/bash
# Builds the Debian package with CPack, unpacks it into a temporary root (no dpkg -i, no root
# needed) and runs the installed `mitoseg` from there: --version, then `predict` on a small
# generated stack with no --model, so the shipped model must be found through the installed
# path (<root>/usr/bin/../share/mitoseg/models). Usage: deb-package-test.sh BUILD_DIR
set -euo pipefail
build=$(cd "$1" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

(cd "$build" && cpack -G DEB -B "$work/pkg" > "$work/cpack.log") || { cat "$work/cpack.log"; exit 1; }
deb=$(ls "$work"/pkg/*.deb)
echo "package: $(basename "$deb") ($(du -h "$deb" | cut -f1))"
dpkg-deb --info "$deb" | grep -E "Package|Version|Depends" || true
dpkg-deb -x "$deb" "$work/root"
bin="$work/root/usr/bin"
test -x "$bin/mitoseg" && test -x "$bin/mitoseg-studio"
ls "$work"/root/usr/share/mitoseg/models/*.msm > /dev/null

unset MITOSEG_MODEL
cd "$work"   # nothing of the build or source tree is reachable from here by relative paths
"$bin/mitoseg" --version | tee "$work/version.txt"
grep -q "mitoseg" "$work/version.txt"
"$bin/mitoseg" demo --steps 0 --size 3x96x128 --seed 2 --out "$work/demo" --threads 2 > /dev/null
"$bin/mitoseg" predict "$work/demo/demo-image.tif" --out "$work/mask.tif" --threads 2 2>&1 | tee "$work/predict.txt"
test -s "$work/mask.tif"
# The model it used is the installed one.
grep -q "$work/root/usr/share/mitoseg/models" "$work/predict.txt" || {
  echo "predict did not report the installed model path"; exit 1; }
# --help of the studio needs no display either.
env -u DISPLAY -u WAYLAND_DISPLAY QT_QPA_PLATFORM=xcb "$bin/mitoseg-studio" --version
echo "deb package test: ok"
