#!/usr/bin/env bash
# Install the one-folder fieldkit from this unpacked archive.
#   ./install.sh                  for you only: ~/.local (no root needed)
#   sudo ./install.sh --prefix /usr/local
# It copies the program to PREFIX/lib/fieldkit, links PREFIX/bin/fieldkit, and adds the menu
# entry, icons and AppStream metadata under PREFIX/share. Run it again to upgrade; remove with
#   ./install.sh --prefix PREFIX --uninstall
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
prefix="${HOME}/.local"
uninstall=0
while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) prefix="$2"; shift 2 ;;
        --uninstall) uninstall=1; shift ;;
        *) echo "usage: $0 [--prefix DIR] [--uninstall]" >&2; exit 2 ;;
    esac
done

app="$prefix/lib/fieldkit"
share="$prefix/share"
sizes="16 24 32 48 64 128 256 512"

rm -rf "$app" "$prefix/bin/fieldkit" "$share/applications/fieldkit.desktop" \
    "$share/metainfo/app.fieldkit.Fieldkit.metainfo.xml" "$share/icons/hicolor/scalable/apps/fieldkit.svg"
for size in $sizes; do
    rm -f "$share/icons/hicolor/${size}x${size}/apps/fieldkit.png"
done
if [ "$uninstall" = 1 ]; then
    echo "fieldkit removed from $prefix (your library and settings are kept)."
    exit 0
fi

mkdir -p "$app" "$prefix/bin" "$share/applications" "$share/metainfo" \
    "$share/icons/hicolor/scalable/apps"
cp -a "$here/fieldkit" "$here/_internal" "$app/"
if [ -d "$here/resources" ]; then cp -a "$here/resources" "$app/"; fi
ln -s "$app/fieldkit" "$prefix/bin/fieldkit"
sed "s|^Exec=fieldkit |Exec=$app/fieldkit |; s|^TryExec=fieldkit$|TryExec=$app/fieldkit|" \
    "$here/share/fieldkit.desktop" > "$share/applications/fieldkit.desktop"
cp "$here/share/app.fieldkit.Fieldkit.metainfo.xml" "$share/metainfo/"
cp "$here/share/icons/fieldkit.svg" "$share/icons/hicolor/scalable/apps/fieldkit.svg"
for size in $sizes; do
    mkdir -p "$share/icons/hicolor/${size}x${size}/apps"
    cp "$here/share/icons/fieldkit-$size.png" "$share/icons/hicolor/${size}x${size}/apps/fieldkit.png"
done
if command -v update-desktop-database >/dev/null; then
    update-desktop-database -q "$share/applications" || true
fi
if command -v gtk-update-icon-cache >/dev/null && [ -f "$share/icons/hicolor/index.theme" ]; then
    gtk-update-icon-cache -q "$share/icons/hicolor" || true
fi
echo "fieldkit $("$app/fieldkit" --version | cut -d' ' -f2) installed in $app"
case ":$PATH:" in
    *":$prefix/bin:"*) ;;
    *) echo "Add $prefix/bin to your PATH to run 'fieldkit' from a terminal." ;;
esac
