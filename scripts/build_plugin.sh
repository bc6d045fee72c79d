#!/usr/bin/env bash
# Assemble the installable plugin folder: plugin code, metadata.txt, LICENSE, compiled
# resources and translations, the shipped models and their manifest. QGIS_PLUGINPATH must point at DEST's parent folder.
# Usage: scripts/build_plugin.sh DEST      (e.g. build/building_area_plugin)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dest=${1:?usage: build_plugin.sh DEST}

rm -rf "$dest"
mkdir -p "$dest"
dest=$(cd "$dest" && pwd)
cp -r "$root/building_area_plugin/." "$dest/"
find "$dest" \( -name __pycache__ -o -name '*.pyc' \) -prune -exec rm -rf {} +
cp "$root/metadata.txt" "$root/LICENSE" "$dest/"

if command -v pyrcc5 >/dev/null; then
    (cd "$root" && pyrcc5 -o "$dest/resources.py" resources.qrc)
    # Qt-neutral import, so the compiled module also loads under a Qt6 QGIS.
    sed -i "s/^from PyQt5 import QtCore/from qgis.PyQt import QtCore/" "$dest/resources.py"
else
    echo "pyrcc5 not found: the plugin will load its icon from the SVG file." >&2
fi

# Translations: i18n/*.ts -> .qm with Qt's lrelease (Debian: qttools5-dev-tools; the .ts sources stay out of the
# plugin). The plugin loads the catalogue of QGIS's language at start; without lrelease it is English only.
lrelease=$(command -v lrelease || command -v lrelease-qt5 || command -v lrelease6 ||
           ls /usr/lib/qt5/bin/lrelease /usr/lib/qt6/bin/lrelease 2>/dev/null | head -n 1 || true)
for ts in "$dest"/i18n/*.ts; do
    [ -f "$ts" ] || continue
    if [ -n "$lrelease" ]; then
        "$lrelease" -silent "$ts" -qm "${ts%.ts}.qm"
    else
        echo "lrelease not found (Debian: apt install qttools5-dev-tools): $(basename "$ts") is not compiled." >&2
    fi
    rm "$ts"
done
/usr/bin/python3 "$root/scripts/update_translations.py" --check ||
    echo "WARNING: building_area_plugin/i18n is out of date: some messages stay in English." >&2

# models/manifest.json is what the light zip (make package) downloads its models from on first use.
mkdir -p "$dest/models"
for file in README.md SHA256SUMS manifest.json; do
    [ ! -f "$root/models/$file" ] || cp "$root/models/$file" "$dest/models/"
done
if compgen -G "$root/models/*.onnx" >/dev/null; then
    cp "$root"/models/*.onnx "$dest/models/"
    # The plugin runs a shipped model only if models/SHA256SUMS lists its SHA-256.
    /usr/bin/python3 "$root/scripts/update_checksums.py" --check --models-dir "$root/models" ||
        echo "WARNING: the plugin will refuse the models that models/SHA256SUMS does not list." >&2
    # update_manifest.py reads model metadata with onnx, which only the venv has.
    if [ -x "$root/.venv/bin/python" ]; then
        "$root/.venv/bin/python" "$root/scripts/update_manifest.py" --check --models-dir "$root/models" ||
            echo "WARNING: the light plugin would download models that do not match models/manifest.json." >&2
    fi
else
    echo "No models/*.onnx yet: the plugin will ask for a model file." >&2
fi
echo "Plugin assembled in $dest"
