"""Draw a PNG preview of a detection run: the image, building outlines and area labels.

Usage: python scripts/preview.py RASTER BUILDINGS.gpkg OUT.png [--max-size 2000]
       [--beside OTHER.gpkg --titles "mask outlines" "regularized"] [--no-areas]
--beside draws OTHER's buildings on a second copy of the image, to the right (before / after).
Uses GDAL, OGR and opencv only. Large rasters are read decimated, never in full.
"""
import argparse

import cv2
import numpy as np
from osgeo import gdal, ogr, osr


OUTLINE_BGR = (0, 212, 255)  # the plugin's yellow outline
# QGIS shows a raster without georeferencing with y growing upwards from row 0.
UNGEOREFERENCED = (0.0, 1.0, 0.0, 0.0, 0.0, -1.0)


def read_rgb(dataset, scale: float) -> np.ndarray:
    """The first three bands (or the single band, tripled), decimated and stretched to 8 bits."""
    width, height = int(dataset.RasterXSize * scale), int(dataset.RasterYSize * scale)
    bands = [min(b, dataset.RasterCount) for b in (1, 2, 3)]
    rgb = np.dstack([dataset.GetRasterBand(b).ReadAsArray(buf_xsize=width, buf_ysize=height) for b in bands])
    if dataset.GetRasterBand(1).DataType != gdal.GDT_Byte:
        low, high = np.percentile(rgb, (1, 99))
        rgb = (rgb.astype(np.float32) - low) / max(high - low, 1e-9) * 255
    return np.clip(rgb, 0, 255).astype(np.uint8)


def map_to_pixel(dataset, scale: float):
    """A function mapping (x, y) arrays in the raster's CRS to preview pixel arrays."""
    transform = dataset.GetGeoTransform(can_return_null=True) or UNGEOREFERENCED
    inverse = gdal.InvGeoTransform(transform)

    def convert(x, y):
        col = inverse[0] + inverse[1] * x + inverse[2] * y
        row = inverse[3] + inverse[4] * x + inverse[5] * y
        return np.column_stack([col, row]) * scale

    return convert


def raster_srs(dataset):
    wkt = dataset.GetProjection()
    if not wkt:
        return None
    srs = osr.SpatialReference(wkt=wkt)
    srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    return srs


def buildings(gpkg_path: str, target_srs):
    """Yield (polygon rings as lists of (x, y) arrays, area_m2) in the raster's CRS."""
    source = ogr.Open(gpkg_path)
    layer = source.GetLayerByName("buildings") or source.GetLayer(0)
    transform = None
    if target_srs is not None and layer.GetSpatialRef() is not None:
        layer_srs = layer.GetSpatialRef()
        layer_srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
        if not layer_srs.IsSame(target_srs):
            transform = osr.CoordinateTransformation(layer_srs, target_srs)
    for feature in layer:
        geometry = feature.GetGeometryRef().Clone()
        if transform is not None:
            geometry.Transform(transform)
        is_multi = ogr.GT_Flatten(geometry.GetGeometryType()) == ogr.wkbMultiPolygon
        polygons = [geometry.GetGeometryRef(i) for i in range(geometry.GetGeometryCount())] if is_multi else [geometry]
        rings = []
        for polygon in polygons:
            for index in range(polygon.GetGeometryCount()):
                points = np.array(polygon.GetGeometryRef(index).GetPoints())
                rings.append((points[:, 0], points[:, 1]))
        yield rings, feature.GetField("area_m2")


def draw_label(image, text: str, centre) -> None:
    font, size = cv2.FONT_HERSHEY_SIMPLEX, 0.38
    (width, height), _ = cv2.getTextSize(text, font, size, 1)
    origin = (int(centre[0] - width / 2), int(centre[1] + height / 2))
    cv2.putText(image, text, origin, font, size, (0, 0, 0), 3, cv2.LINE_AA)
    cv2.putText(image, text, origin, font, size, (255, 255, 255), 1, cv2.LINE_AA)


def draw_buildings(image, dataset, gpkg_path: str, scale: float, areas: bool = True) -> int:
    """Draw the GeoPackage's buildings (and their areas) on the image; the number drawn."""
    to_pixel = map_to_pixel(dataset, scale)
    labels, count = [], 0
    for rings, area in buildings(gpkg_path, raster_srs(dataset)):
        pixel_rings = [to_pixel(x, y) for x, y in rings]
        cv2.polylines(image, [np.round(r).astype(np.int32) for r in pixel_rings], True, OUTLINE_BGR, 1, cv2.LINE_AA)
        labels.append((f"{area:.0f} m2", pixel_rings[0].mean(axis=0)))
        count += 1
    for text, centre in labels if areas else []:  # after all outlines, so that no outline crosses a label
        draw_label(image, text, centre)
    return count


def preview(raster_path: str, gpkg_path: str, out_path: str, max_size: int = 2000, beside: str = None,
            titles=None, areas: bool = True) -> int:
    """Write the preview and return the number of buildings drawn (of the first GeoPackage)."""
    dataset = gdal.Open(raster_path)
    scale = min(1.0, max_size / max(dataset.RasterXSize, dataset.RasterYSize))
    background = cv2.cvtColor(read_rgb(dataset, scale), cv2.COLOR_RGB2BGR)
    panels = [background.copy() for _ in range(2 if beside else 1)]
    count = draw_buildings(panels[0], dataset, gpkg_path, scale, areas)
    if beside:
        draw_buildings(panels[1], dataset, beside, scale, areas)
    for panel, title in zip(panels, titles or []):
        draw_label(panel, title, (panel.shape[1] / 2, 14))
    gap = np.full((background.shape[0], 8, 3), 255, np.uint8)
    cv2.imwrite(out_path, np.hstack([panels[0], gap, panels[1]]) if beside else panels[0])
    return count


def main() -> None:
    # Here, not at import: importing this module (tests do) must not change GDAL's global error mode.
    gdal.UseExceptions()
    ogr.UseExceptions()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("raster")
    parser.add_argument("gpkg")
    parser.add_argument("out")
    parser.add_argument("--max-size", type=int, default=2000, help="longest side of the PNG in pixels")
    parser.add_argument("--beside", help="another GeoPackage of buildings, drawn on a second panel to the right")
    parser.add_argument("--titles", nargs=2, help="titles of the two panels")
    parser.add_argument("--no-areas", action="store_true", help="outlines only, no area labels")
    args = parser.parse_args()
    count = preview(args.raster, args.gpkg, args.out, args.max_size, args.beside, args.titles, not args.no_areas)
    print(f"Preview with {count} buildings: {args.out}")


if __name__ == "__main__":
    main()
