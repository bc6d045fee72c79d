#!/usr/bin/env bash
# `make demo`: detect buildings with qgis_process, print the summary and write a PNG preview.
# Usage: scripts/demo.sh [RASTER]   (no RASTER: a generated synthetic town with known footprints)
# MODEL=path.onnx uses that segmentation model instead of the shipped one.
# Writes OUT_DIR (default out/demo): buildings.gpkg, result.json, buildings_preview.png.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
out_dir=${OUT_DIR:-out/demo}
python=$root/.venv/bin/python
mkdir -p "$out_dir"

raster=${1:-}
truth=()
if [ -z "$raster" ]; then
    raster=$out_dir/scene.tif
    if [ ! -f "$raster" ] || [ ! -f "$out_dir/ground_truth.gpkg" ]; then
        echo "Generating a synthetic town in $raster ..."
        scripts/qgis_env.sh "$python" scripts/make_demo_scene.py --out-dir "$out_dir" >/dev/null
    fi
    truth=(--truth "$out_dir/ground_truth.gpkg")
fi

output=$out_dir/buildings.gpkg
echo "Detecting buildings in $raster ..."
arguments=(INPUT="$raster" OUTPUT="$output")
[ -z "${MODEL:-}" ] || arguments+=(SEGMENTATION_MODEL="$MODEL")
# Errors go to stderr; stdout is the JSON result.
scripts/qgis_process.sh --json run building_area:detect_buildings -- "${arguments[@]}" > "$out_dir/result.json"
scripts/qgis_env.sh "$python" scripts/print_summary.py "$out_dir/result.json" "${truth[@]}"
scripts/qgis_env.sh "$python" scripts/preview.py "$raster" "$output" "$out_dir/buildings_preview.png"
