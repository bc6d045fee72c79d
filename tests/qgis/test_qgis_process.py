"""A real qgis_process run of the assembled plugin on rasters in EPSG:3857 and EPSG:4326.

The total area must equal the sum of the polygons' geodesic areas measured by QGIS itself
(QgsDistanceArea on the WGS 84 ellipsoid), and those must be ground areas, not planar ones.
"""
import json
import math

import pytest
from qgis.core import QgsDistanceArea, QgsProject, QgsVectorLayer

from tests.qgis.conftest import SQUARES, run_qgis_process
from tests.qgis.scenes import write_squares

LON, LAT = 16.0, 47.0
GROUND_GSD_M = 0.3
METRES_PER_DEGREE_LAT = 111_132.0  # at 47° N, to well under 1 % (enough to place the pixels)
EARTH_RADIUS_3857 = 6_378_137.0


def geotransform(epsg: int):
    """Upper-left corner at (LON, LAT) and pixels of about GROUND_GSD_M on the ground."""
    if epsg == 3857:
        x = math.radians(LON) * EARTH_RADIUS_3857
        y = EARTH_RADIUS_3857 * math.log(math.tan(math.pi / 4 + math.radians(LAT) / 2))
        size = GROUND_GSD_M / math.cos(math.radians(LAT))  # Web Mercator stretches by 1/cos(lat)
        return (x, size, 0.0, y, 0.0, -size)
    step_lat = GROUND_GSD_M / METRES_PER_DEGREE_LAT
    step_lon = step_lat / math.cos(math.radians(LAT))
    return (LON, step_lon, 0.0, LAT, 0.0, -step_lat)


def qgis_process_run(env, *arguments) -> dict:
    done = run_qgis_process(env, *arguments)
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout)["results"]


def geodesic_areas(layer) -> list:
    measure = QgsDistanceArea()
    measure.setSourceCrs(layer.crs(), QgsProject.instance().transformContext())
    measure.setEllipsoid("EPSG:7030")  # WGS 84
    return sorted(measure.measureArea(feature.geometry()) for feature in layer.getFeatures())


@pytest.mark.parametrize("epsg", [3857, 4326])
def test_total_area_is_the_sum_of_geodesic_polygon_areas(epsg, qgis_process_env, bright_model, tmp_path):
    raster = write_squares(str(tmp_path / f"squares_{epsg}.tif"), 200, SQUARES, epsg, geotransform(epsg))
    output = tmp_path / "buildings.gpkg"
    results = qgis_process_run(qgis_process_env, f"INPUT={raster}", f"SEGMENTATION_MODEL={bright_model}",
                               f"OUTPUT={output}")
    layer = QgsVectorLayer(f"{output}|layername=buildings", "buildings", "ogr")
    areas = geodesic_areas(layer)
    assert results["BUILDING_COUNT"] == len(areas) == 2
    assert results["TOTAL_AREA_M2"] == pytest.approx(sum(areas), rel=1e-4)
    # Ground areas of the 6 m and 12 m squares: a planar 3857 area would be 2.15 times larger.
    assert areas == pytest.approx([36.0, 144.0], rel=0.02)
    assert results["GSD_SOURCE"] == "georeferencing"
