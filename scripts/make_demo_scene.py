"""Generate a synthetic, georeferenced town: an RGB GeoTIFF and its true building footprints.

The project may not ship third-party imagery, so the demo (and tests that need a "realistic"
scene) use this procedural town: grass with soil patches, a road grid, driveways, trees, and
buildings of varied size, shape (rectangles, L-shapes) and roof type (gable, hip, flat) with
shadows, plus sensor noise. The footprints GeoPackage (layer 'buildings') gives each building's
ground area in m² on the WGS 84 ellipsoid, the same definition the plugin uses.

Usage: python scripts/make_demo_scene.py [--out-dir out/demo] [--size 2000] [--gsd 0.3] [--seed 7]
Writes OUT_DIR/scene.tif and OUT_DIR/ground_truth.gpkg. Same seed and size, same files.
"""
import argparse
import math
import os
from dataclasses import dataclass
from typing import List, Tuple

import cv2
import numpy as np
from osgeo import gdal, ogr, osr
from pyproj import CRS, Geod, Transformer
from shapely import affinity
from shapely.geometry import LineString, Polygon, box
from shapely.ops import unary_union


EPSG = 32633                      # UTM 33N, metres
ORIGIN = (600000.0, 5340000.0)    # upper-left corner, near 48.2° N 16.4° E
SUBPIXEL_BITS = 3                 # cv2 polygon vertices at 1/8 px for anti-aliased edges
SHADOW_DIRECTION = (-0.55, 0.45)  # shadow offset per metre of height, in (x, y) metres; sun in the south-east

ROOF_COLOURS = [  # RGB
    (176, 82, 52), (150, 68, 48), (120, 60, 45), (72, 72, 78), (95, 98, 104),
    (168, 168, 162), (205, 190, 155), (88, 136, 118), (214, 214, 208), (110, 120, 140),
]


@dataclass
class Building:
    footprint: Polygon  # pixel-edge coordinates: (0, 0) is the raster's upper-left corner
    roof: str           # 'gable', 'hip' or 'flat'
    colour: Tuple[int, int, int]
    height_m: float


def smooth_noise(rng, shape, cell_px, amplitude) -> np.ndarray:
    """Low-frequency noise: random values on a coarse grid, upsampled smoothly."""
    coarse = rng.normal(0.0, amplitude, (shape[0] // cell_px + 2, shape[1] // cell_px + 2)).astype(np.float32)
    return cv2.resize(coarse, (shape[1], shape[0]), interpolation=cv2.INTER_CUBIC)


def ground(rng, size: int) -> np.ndarray:
    grass = np.array([92, 128, 62], np.float32)
    soil = np.array([140, 120, 90], np.float32)
    image = np.empty((size, size, 3), np.float32)
    image[:] = grass
    image += smooth_noise(rng, (size, size), 40, 10.0)[..., None]
    soil_share = np.clip(smooth_noise(rng, (size, size), 120, 1.0) - 0.9, 0.0, 1.0)[..., None]
    image = image * (1.0 - soil_share) + soil * soil_share
    return image + rng.normal(0.0, 6.0, image.shape).astype(np.float32)


def road_lines(rng, size: int, gsd: float) -> List[Tuple[Tuple[float, float], Tuple[float, float], float]]:
    """A jittered grid of straight roads plus one diagonal: (start, end, width) in pixels."""
    roads = []
    for axis in (0, 1):
        position = rng.uniform(40, 90) / gsd
        while position < size:
            width = rng.uniform(7, 11) / gsd
            if axis == 0:
                roads.append(((position, 0.0), (position + rng.uniform(-10, 10) / gsd, float(size)), width))
            else:
                roads.append(((0.0, position), (float(size), position + rng.uniform(-10, 10) / gsd), width))
            position += rng.uniform(120, 180) / gsd
    roads.append(((0.0, size * rng.uniform(0.6, 0.9)), (size * rng.uniform(0.6, 0.9), 0.0), 9 / gsd))
    return roads


def draw_polygon(image, coords, colour) -> None:
    # Pixel-edge coordinates -> cv2's pixel-centre coordinates, at sub-pixel precision.
    points = np.round((np.asarray(coords)[:, :2] - 0.5) * (1 << SUBPIXEL_BITS)).astype(np.int32)
    cv2.fillPoly(image, [points], colour, lineType=cv2.LINE_AA, shift=SUBPIXEL_BITS)


def draw_roads(image, occupied, roads) -> None:
    flat_ends = 2
    # All sidewalks first, then all asphalt, so that crossings are asphalt throughout.
    for start, end, width in roads:
        with_sidewalks = LineString([start, end]).buffer(width * 0.75, cap_style=flat_ends)
        draw_polygon(image, with_sidewalks.exterior.coords, (168, 165, 158))
        draw_polygon(occupied, with_sidewalks.exterior.coords, 255)
    for start, end, width in roads:
        asphalt = LineString([start, end]).buffer(width / 2, cap_style=flat_ends)
        draw_polygon(image, asphalt.exterior.coords, (96, 96, 98))


def claim(occupied, shape: Polygon) -> bool:
    """Mark shape as occupied unless it touches anything occupied already (checked in its bounding box)."""
    x0, y0 = (max(0, int(v) - 1) for v in shape.bounds[:2])
    x1, y1 = (int(math.ceil(v)) + 1 for v in shape.bounds[2:])
    local = np.zeros((y1 - y0, x1 - x0), np.uint8)
    draw_polygon(local, np.asarray(shape.exterior.coords) - (x0, y0), 255)
    window = occupied[y0:y1, x0:x1]
    if np.any(local[: window.shape[0], : window.shape[1]] & window):
        return False
    window |= local[: window.shape[0], : window.shape[1]]
    return True


def random_footprint(rng, gsd: float) -> Tuple[Polygon, str]:
    """A rectangle or an L-shape, in pixels, centred on the origin, roughly grid-aligned."""
    kind = rng.choice(["small", "house", "house", "house", "large", "industrial"])
    sizes = {"small": (3, 6), "house": (8, 15), "large": (15, 28), "industrial": (25, 60)}[kind]
    length, width = rng.uniform(*sizes), rng.uniform(sizes[0], sizes[1] * 0.7)
    shape = box(-length / 2, -width / 2, length / 2, width / 2)
    if kind in ("house", "large") and rng.random() < 0.35:
        wing = box(length / 2 - width * 0.8, 0, length / 2, width * 0.5 + rng.uniform(4, 9))
        shape = unary_union([shape, wing])
    roof = "flat" if kind == "industrial" or rng.random() < 0.2 else rng.choice(["gable", "hip"])
    angle = rng.choice([0.0, 90.0]) + rng.normal(0.0, 4.0)
    return affinity.scale(affinity.rotate(shape, angle), 1 / gsd, 1 / gsd, origin=(0, 0)), roof


def place_buildings(rng, occupied, size: int, gsd: float) -> List[Building]:
    """Rejection sampling: keep footprints that stay clear of roads and of each other."""
    buildings = []
    attempts = int(size * size * gsd * gsd / 60)  # about one attempt per 60 m²
    margin_px = 2.0 / gsd
    for _ in range(attempts):
        shape, roof = random_footprint(rng, gsd)
        shape = affinity.translate(shape, rng.uniform(0, size), rng.uniform(0, size))
        if not box(margin_px, margin_px, size - margin_px, size - margin_px).contains(shape):
            continue
        if not claim(occupied, shape.buffer(margin_px)):
            continue
        colour = ROOF_COLOURS[rng.integers(len(ROOF_COLOURS))]
        height = rng.uniform(3, 5) if shape.area * gsd * gsd < 40 else rng.uniform(6, 14)
        buildings.append(Building(shape, roof, colour, height))
    return buildings


def shade(colour, factor) -> Tuple[int, int, int]:
    return tuple(int(min(255, c * factor)) for c in colour)


def draw_shadows(image, buildings: List[Building], gsd: float) -> None:
    """Darken the ground each building's shadow covers (roofs are drawn on top afterwards)."""
    mask = np.zeros(image.shape[:2], np.float32)
    for building in buildings:
        dx, dy = (d * building.height_m / gsd for d in SHADOW_DIRECTION)
        cast = unary_union([building.footprint, affinity.translate(building.footprint, dx, dy)]).convex_hull
        draw_polygon(mask, cast.exterior.coords, 1.0)
    image *= (1.0 - 0.55 * mask)[..., None]


def roof_facets(footprint: Polygon, roof: str) -> List[Tuple[Polygon, float]]:
    """Split a roof into facets with a brightness factor each (sunlit vs. shaded slopes)."""
    if roof == "flat":
        return [(footprint, 1.0)]
    rect = footprint.minimum_rotated_rectangle
    corners = np.asarray(rect.exterior.coords)[:4]
    # Ridge along the long axis, through the middle of the short sides.
    if math.dist(corners[0], corners[1]) < math.dist(corners[1], corners[2]):
        corners = np.roll(corners, -1, axis=0)
    a, b, c, d = corners
    ridge = ((a + d) / 2, (b + c) / 2)
    if roof == "hip":
        inset = (ridge[1] - ridge[0]) * 0.2
        ridge = (ridge[0] + inset, ridge[1] - inset)
        ends = [(Polygon([a, ridge[0], d]), 0.75), (Polygon([b, c, ridge[1]]), 1.1)]
    else:
        ends = []
    sides = [(Polygon([a, b, ridge[1], ridge[0]]), 1.15), (Polygon([d, c, ridge[1], ridge[0]]), 0.7)]
    return [(facet.intersection(footprint), factor) for facet, factor in sides + ends]


def draw_roof(image, building: Building, rng) -> None:
    for facet, factor in roof_facets(building.footprint, building.roof):
        for part in getattr(facet, "geoms", [facet]):
            if isinstance(part, Polygon) and part.area > 0.5:
                draw_polygon(image, part.exterior.coords, shade(building.colour, factor))
    if building.roof == "flat" and building.footprint.area > 400:
        # A rooftop unit (ventilation, lift housing) breaks up large uniform roofs.
        unit = affinity.scale(building.footprint.minimum_rotated_rectangle, 0.15, 0.15)
        draw_polygon(image, unit.exterior.coords, shade(building.colour, 0.8 + 0.1 * rng.random()))


def draw_trees(rng, image, occupied, size: int, gsd: float) -> None:
    for _ in range(int(size * size * gsd * gsd / 150)):
        x, y = rng.uniform(0, size, 2)
        radius = rng.uniform(1.5, 4.5) / gsd
        if occupied[int(y), int(x)]:
            continue  # trees grow in gardens, not on roofs or roads
        shadow_offset = (int(x - 0.5 * radius), int(y + 0.5 * radius))
        cv2.circle(image, shadow_offset, int(radius), (30, 45, 25), -1, cv2.LINE_AA)
        cv2.circle(image, (int(x), int(y)), int(radius), (40, 82, 38), -1, cv2.LINE_AA)
        cv2.circle(image, (int(x + radius * 0.2), int(y - radius * 0.2)), int(radius * 0.55), (62, 108, 50), -1, cv2.LINE_AA)


def render(size: int, gsd: float, seed: int) -> Tuple[np.ndarray, List[Building]]:
    rng = np.random.default_rng(seed)
    image = ground(rng, size)
    occupied = np.zeros((size, size), np.uint8)
    draw_roads(image, occupied, road_lines(rng, size, gsd))
    buildings = place_buildings(rng, occupied, size, gsd)
    draw_shadows(image, buildings, gsd)
    for building in buildings:
        draw_roof(image, building, rng)
    draw_trees(rng, image, occupied, size, gsd)
    image = cv2.GaussianBlur(image, (3, 3), 0.6) + rng.normal(0.0, 3.0, image.shape).astype(np.float32)
    return np.clip(image, 0, 255).astype(np.uint8), buildings


def geotransform(gsd: float) -> Tuple[float, ...]:
    return (ORIGIN[0], gsd, 0.0, ORIGIN[1], 0.0, -gsd)


def write_geotiff(path: str, image: np.ndarray, gsd: float) -> None:
    rows, cols = image.shape[:2]
    dataset = gdal.GetDriverByName("GTiff").Create(
        path, cols, rows, 3, gdal.GDT_Byte,
        ["TILED=YES", "COMPRESS=DEFLATE", "PHOTOMETRIC=RGB"])
    dataset.SetGeoTransform(geotransform(gsd))
    dataset.SetProjection(CRS.from_epsg(EPSG).to_wkt())
    for band in range(3):
        dataset.GetRasterBand(band + 1).WriteArray(image[:, :, band])
    dataset.FlushCache()


def to_map(footprint: Polygon, gsd: float) -> Polygon:
    return affinity.affine_transform(footprint, [gsd, 0.0, 0.0, -gsd, ORIGIN[0], ORIGIN[1]])


def geodesic_area_m2(polygon: Polygon, to_lonlat: Transformer) -> float:
    lonlat = Polygon(np.column_stack(to_lonlat.transform(*polygon.exterior.xy)))
    return abs(Geod(ellps="WGS84").geometry_area_perimeter(lonlat)[0])


def write_footprints(path: str, buildings: List[Building], gsd: float) -> None:
    if os.path.exists(path):
        os.remove(path)
    source = ogr.GetDriverByName("GPKG").CreateDataSource(path)
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(EPSG)
    layer = source.CreateLayer("buildings", srs, ogr.wkbPolygon)
    for name, kind in (("id", ogr.OFTInteger), ("roof", ogr.OFTString), ("area_m2", ogr.OFTReal)):
        layer.CreateField(ogr.FieldDefn(name, kind))
    to_lonlat = Transformer.from_crs(EPSG, 4326, always_xy=True)
    for number, building in enumerate(buildings, start=1):
        polygon = to_map(building.footprint, gsd)
        feature = ogr.Feature(layer.GetLayerDefn())
        feature.SetField("id", number)
        feature.SetField("roof", building.roof)
        feature.SetField("area_m2", geodesic_area_m2(polygon, to_lonlat))
        feature.SetGeometry(ogr.CreateGeometryFromWkb(polygon.wkb))
        layer.CreateFeature(feature)
    source = None


def make_scene(out_dir: str, size: int = 2000, gsd: float = 0.3, seed: int = 7) -> Tuple[str, str]:
    """Write scene.tif and ground_truth.gpkg into out_dir and return their paths."""
    os.makedirs(out_dir, exist_ok=True)
    image, buildings = render(size, gsd, seed)
    raster_path = os.path.join(out_dir, "scene.tif")
    truth_path = os.path.join(out_dir, "ground_truth.gpkg")
    write_geotiff(raster_path, image, gsd)
    write_footprints(truth_path, buildings, gsd)
    return raster_path, truth_path


def main() -> None:
    # Here, not at import: importing this module (tests do) must not change GDAL's global error mode.
    gdal.UseExceptions()
    ogr.UseExceptions()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", default="out/demo")
    parser.add_argument("--size", type=int, default=2000, help="width and height in pixels")
    parser.add_argument("--gsd", type=float, default=0.3, help="metres per pixel")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    raster_path, truth_path = make_scene(args.out_dir, args.size, args.gsd, args.seed)
    print(f"{raster_path}\n{truth_path}")


if __name__ == "__main__":
    main()
