#!/usr/bin/env bash
# qgis_process with this repository's plugin enabled, the runtime venv's packages visible
# to QGIS's embedded Python, and a headless environment.
#   scripts/qgis_process.sh --json run building_area:detect_buildings -- INPUT=a.tif OUTPUT=a.gpkg
# Environment (optional):
#   QGIS_PLUGINPATH          folder that contains building_area_plugin/ (default: <repo>/build)
#   QGIS_CUSTOM_CONFIG_PATH  QGIS profile root (default: <repo>/build/qgis-profile)
#   QGIS_PROCESS             a qgis_process executable to use instead of searching for one
#   BUILDING_AREA_VENV       venv whose packages (onnxruntime, opencv) QGIS should see (default: <repo>/.venv)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

export QGIS_PLUGINPATH=${QGIS_PLUGINPATH:-$root/build}
export QGIS_CUSTOM_CONFIG_PATH=${QGIS_CUSTOM_CONFIG_PATH:-$root/build/qgis-profile}
venv=${BUILDING_AREA_VENV:-$root/.venv}

if [ ! -f "$QGIS_PLUGINPATH/building_area_plugin/metadata.txt" ]; then
    echo "No plugin in $QGIS_PLUGINPATH/building_area_plugin: run 'make plugin' first." >&2
    exit 2
fi
mkdir -p "$QGIS_CUSTOM_CONFIG_PATH"
/usr/bin/python3 "$root/scripts/enable_plugin.py" "$QGIS_CUSTOM_CONFIG_PATH"

# QGIS embeds Debian's python; it sees the venv only through PATH/PYTHONPATH, not VIRTUAL_ENV.
if [ -x "$venv/bin/python" ]; then
    site=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
    export PYTHONPATH=$site${PYTHONPATH:+:$PYTHONPATH}
    export PATH=$venv/bin:$PATH
fi

# Debian 12's /usr/bin/qgis_process wrapper passes --noversioncheck, which its qgis_process.bin
# rejects (qgis/QGIS#57683); newer packages work. Probe once per profile and remember the answer.
find_qgis_process() {
    local cache=$QGIS_CUSTOM_CONFIG_PATH/qgis_process_command candidate
    if [ -n "${QGIS_PROCESS:-}" ]; then echo "$QGIS_PROCESS"; return; fi
    if [ -s "$cache" ] && [ -x "$(cat "$cache")" ]; then cat "$cache"; return; fi
    for candidate in "$(command -v qgis_process || true)" "$(command -v qgis_process.bin || true)" \
                     /usr/bin/qgis_process.bin; do
        [ -n "$candidate" ] && [ -x "$candidate" ] || continue
        if "$root/scripts/qgis_env.sh" "$candidate" --version >/dev/null 2>&1; then
            echo "$candidate" | tee "$cache"
            return
        fi
    done
    echo "No working qgis_process found (install the 'qgis' package: make setup)." >&2
    return 1
}

qgis_process=$(find_qgis_process)
exec "$root/scripts/qgis_env.sh" "$qgis_process" "$@"
