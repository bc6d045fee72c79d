"""Small GeoPackage helpers of the batch (OGR): layers, features in and out as shapely geometries."""
from typing import Dict, Iterator, Optional, Sequence, Tuple

from osgeo import ogr
from shapely import wkb
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from ..core.gdal_calls import gdal_call
from ..core.geopackage import spatial_reference

Fields = Sequence[Tuple[str, int]]


def create_geopackage(path: str) -> ogr.DataSource:
    return gdal_call(f"create {path}", ogr.GetDriverByName("GPKG").CreateDataSource, path)


def create_layer(dataset: ogr.DataSource, path: str, name: str, crs_wkt: Optional[str], geom_type: int,
                 fields: Fields) -> ogr.Layer:
    """A layer with fields; crs_wkt None: a table without geometry."""
    srs = spatial_reference(crs_wkt) if crs_wkt is not None else None
    layer = gdal_call(f"create layer '{name}' in {path}", dataset.CreateLayer, name, srs=srs, geom_type=geom_type)
    for field_name, field_type in fields:
        layer.CreateField(ogr.FieldDefn(field_name, field_type))
    return layer


def add_feature(layer: ogr.Layer, path: str, geometry, values: Dict[str, object]) -> None:
    """geometry: shapely (made a MultiPolygon when polygonal), an ogr.Geometry, or None."""
    feature = ogr.Feature(layer.GetLayerDefn())
    if isinstance(geometry, BaseGeometry):
        geometry = ogr.CreateGeometryFromWkb(multipolygon(geometry).wkb)
    if geometry is not None:
        feature.SetGeometry(geometry)
    for name, value in values.items():
        if value is not None:
            feature.SetField(name, value)
    gdal_call(f"write a feature to {path}", layer.CreateFeature, feature)


def multipolygon(geometry: BaseGeometry) -> BaseGeometry:
    if isinstance(geometry, Polygon):
        return MultiPolygon([geometry])
    return geometry


def polygonal(geometry: BaseGeometry) -> Optional[BaseGeometry]:
    """The polygons of a geometry (an intersection may add lines and points), None if there is no area."""
    parts = [g for g in getattr(geometry, "geoms", [geometry]) if isinstance(g, (Polygon, MultiPolygon))]
    polygons = [p for part in parts for p in getattr(part, "geoms", [part]) if p.area > 0]
    if not polygons:
        return None
    return polygons[0] if len(polygons) == 1 else MultiPolygon(polygons)


def read_features(path: str, layer_name: str, names: Sequence[str]) -> Iterator[Tuple[BaseGeometry, Dict[str, object]]]:
    dataset = ogr.Open(path)
    if dataset is None:
        return
    layer = dataset.GetLayerByName(layer_name)
    if layer is None:
        return
    for feature in layer:
        geometry = feature.GetGeometryRef()
        shape = wkb.loads(bytes(geometry.ExportToWkb())) if geometry is not None else None
        yield shape, {name: feature.GetField(name) for name in names}
