"""Print the summary of a `qgis_process --json run building_area:detect_buildings` result.

Usage: python scripts/print_summary.py RESULT.json [--truth GROUND_TRUTH.gpkg]
--truth compares with the true footprints of a generated demo scene.
"""
import argparse
import json

from osgeo import ogr



def summary_lines(results: dict) -> list:
    return [
        f"Buildings:        {results['BUILDING_COUNT']:.0f}",
        f"Building area:    {results['TOTAL_AREA_M2']:,.1f} m²",
        f"Analysed area:    {results['ANALYSED_AREA_M2']:,.1f} m²",
        f"Built-up share:   {results['BUILT_UP_SHARE']:.2f} %",
        f"GSD:              {results['GSD_M']:.3f} m/px (from {results['GSD_SOURCE']})",
        f"Polygons:         {results['OUTPUT']}",
    ]


def truth_line(gpkg_path: str, results: dict) -> str:
    source = ogr.Open(gpkg_path)  # must outlive its layer, or GDAL crashes
    layer = source.GetLayerByName("buildings")
    count = layer.GetFeatureCount()
    area = sum(feature.GetField("area_m2") for feature in layer)
    error = (results["TOTAL_AREA_M2"] - area) / area * 100 if area else float("nan")
    return f"Ground truth:     {count} buildings, {area:,.1f} m² (area error {error:+.1f} %)"


def main() -> None:
    # Here, not at import: importing this module (tests do) must not change GDAL's global error mode.
    ogr.UseExceptions()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("result_json")
    parser.add_argument("--truth", help="ground-truth footprints (GeoPackage, layer 'buildings')")
    args = parser.parse_args()
    with open(args.result_json, encoding="utf-8") as stream:
        results = json.load(stream)["results"]
    lines = summary_lines(results)
    if args.truth:
        lines.append(truth_line(args.truth, results))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
