#!/usr/bin/env bash
# Run a command in the headless environment QGIS needs: offscreen Qt (without it QGIS
# aborts when there is no display), a private XDG_RUNTIME_DIR and PROJ's data directory.
# Usage: scripts/qgis_env.sh COMMAND [ARGS...]
set -euo pipefail

export QT_QPA_PLATFORM=${QT_QPA_PLATFORM:-offscreen}
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp/runtime-$(id -u)}
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
# pyproj from a venv does not always find Debian's PROJ database on its own.
if [ -z "${PROJ_DATA:-}" ] && [ -d /usr/share/proj ]; then
    export PROJ_DATA=/usr/share/proj
fi
exec "$@"
