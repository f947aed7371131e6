#!/usr/bin/env bash
# Build fieldkit for Linux as one folder that needs no Python, archive it, and smoke-test it.
#
#   packaging/build_linux.sh             build, archive, smoke test
#   packaging/build_linux.sh --no-smoke  build and archive only
#
# Output: dist/fieldkit/ (run dist/fieldkit/fieldkit; install with dist/fieldkit/install.sh)
#         dist/fieldkit-VERSION-linux-ARCH.tar.gz
# Uses .venv (created as ./dev does if missing) with PyInstaller added to it.
set -euo pipefail
cd "$(dirname "$0")/.."

smoke=1
[ "${1:-}" = "--no-smoke" ] && smoke=0

if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -e '.[dev]'
fi
.venv/bin/python -m pip install --quiet 'pyinstaller>=6.10'

version=$(.venv/bin/python -c 'import fieldkit; print(fieldkit.__version__)')
started=$(date +%s)
.venv/bin/pyinstaller --noconfirm --log-level WARN \
    --distpath dist --workpath build/pyinstaller packaging/fieldkit.spec

app=dist/fieldkit
mkdir -p "$app/share/icons"
cp packaging/linux/fieldkit.desktop packaging/linux/app.fieldkit.Fieldkit.metainfo.xml "$app/share/"
cp resources/icons/fieldkit.svg resources/icons/fieldkit-*.png "$app/share/icons/"
cp packaging/linux/install.sh "$app/"
archive="dist/fieldkit-$version-linux-$(uname -m).tar.gz"
tar -C dist -czf "$archive" fieldkit
echo "built $app ($(du -sh "$app" | cut -f1)) and $archive ($(du -sh "$archive" | cut -f1)) in $(( $(date +%s) - started )) s"

if [ "$smoke" = 1 ]; then
    .venv/bin/python packaging/smoke.py "$app/fieldkit"
fi
