"""The DETECTIONS GeoPackage: layer 'detections', one box polygon per detected building."""
from typing import Sequence

from osgeo import ogr
from shapely.geometry.base import BaseGeometry

from .gdal_calls import gdal_call
from .geopackage import spatial_reference

DETECTIONS_LAYER = "detections"
DETECTION_FIELDS = (("score", ogr.OFTReal), ("area_m2", ogr.OFTReal))


def write_detections(path: str, crs_wkt: str, boxes: Sequence[BaseGeometry], scores: Sequence[float],
                     areas_m2: Sequence[float]) -> None:
    """Write the boxes (polygons in the raster's CRS) with their score and ground area, in one transaction."""
    ds = gdal_call(f"create {path}", ogr.GetDriverByName("GPKG").CreateDataSource, path)
    layer = gdal_call(f"create layer '{DETECTIONS_LAYER}' in {path}", ds.CreateLayer, DETECTIONS_LAYER,
                      srs=spatial_reference(crs_wkt), geom_type=ogr.wkbPolygon)
    for name, field_type in DETECTION_FIELDS:
        layer.CreateField(ogr.FieldDefn(name, field_type))
    layer.StartTransaction()
    for geometry, score, area in zip(boxes, scores, areas_m2):
        feature = ogr.Feature(layer.GetLayerDefn())
        feature.SetGeometry(ogr.CreateGeometryFromWkb(geometry.wkb))
        feature.SetField("score", float(score))
        feature.SetField("area_m2", float(area))
        gdal_call(f"write a detection to {path}", layer.CreateFeature, feature)
    gdal_call(f"save the detections in {path}", layer.CommitTransaction)
    layer = ds = None  # close: flushes the GeoPackage
