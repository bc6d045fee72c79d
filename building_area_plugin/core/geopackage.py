"""The result GeoPackage: layer 'buildings' (one polygon each) and layer 'summary' (one feature)."""
from osgeo import ogr, osr
from shapely.geometry.base import BaseGeometry

from .params import GroundSampling, Summary
from .gdal_calls import gdal_call, gdal_release
from .vectorize import Building

BUILDINGS_LAYER = "buildings"
SUMMARY_LAYER = "summary"
UNDEFINED_CARTESIAN = "Undefined Cartesian SRS"

# area_m2_low/_high (and the summary's total_area_m2_low/_high): the area at the ends of the GSD's
# 80 % interval where the GSD is the model's estimate; NULL where the GSD is known.
# area_reg_m2 (and total_area_reg_m2): the regularized outline's area; NULL where outlines are not regularized.
BUILDING_FIELDS = (("area_m2", ogr.OFTReal), ("area_m2_low", ogr.OFTReal), ("area_m2_high", ogr.OFTReal),
                   ("perimeter_m", ogr.OFTReal), ("score", ogr.OFTReal),
                   ("gsd_m", ogr.OFTReal), ("gsd_source", ogr.OFTString), ("area_reg_m2", ogr.OFTReal))
SUMMARY_FIELDS = (("building_count", ogr.OFTInteger64), ("total_area_m2", ogr.OFTReal),
                  ("total_area_m2_low", ogr.OFTReal), ("total_area_m2_high", ogr.OFTReal),
                  ("total_area_reg_m2", ogr.OFTReal),
                  ("analysed_area_m2", ogr.OFTReal), ("built_up_share_pct", ogr.OFTReal),
                  ("gsd_m", ogr.OFTReal), ("gsd_source", ogr.OFTString), ("models", ogr.OFTString),
                  ("provider", ogr.OFTString), ("runtime_s", ogr.OFTReal), ("tiles", ogr.OFTInteger64))


def spatial_reference(crs_wkt: str) -> osr.SpatialReference:
    """The layer SRS of a raster's CRS (x = easting/longitude); no CRS: a local Cartesian one."""
    srs = osr.SpatialReference()
    if crs_wkt:
        srs.ImportFromWkt(crs_wkt)
        srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    else:
        # GeoPackage srs_id -1; without an SRS GDAL writes 0, "undefined geographic" (degrees).
        srs.SetLocalCS(UNDEFINED_CARTESIAN)
    return srs


def _ogr_geometry(geometry: BaseGeometry) -> ogr.Geometry:
    return ogr.CreateGeometryFromWkb(geometry.wkb)


def interval_values(summary: Summary) -> dict:
    if summary.total_area_m2_low is None:
        return {}
    return {"total_area_m2_low": summary.total_area_m2_low, "total_area_m2_high": summary.total_area_m2_high}


def optional_values(**values) -> dict:
    """The values that are not None (a field left unset is NULL)."""
    return {name: value for name, value in values.items() if value is not None}


class GeoPackageWriter:
    """Writes buildings as they come (one transaction), then the summary."""

    def __init__(self, path: str, crs_wkt: str):
        self.path = path
        self._ds = gdal_call(f"create {path}", ogr.GetDriverByName("GPKG").CreateDataSource, path)
        self._srs = spatial_reference(crs_wkt)
        self._buildings = self._layer(BUILDINGS_LAYER, ogr.wkbMultiPolygon, BUILDING_FIELDS)
        self._buildings.StartTransaction()

    def _layer(self, name: str, geom_type: int, fields) -> ogr.Layer:
        layer = gdal_call(f"create layer '{name}' in {self.path}", self._ds.CreateLayer, name, srs=self._srs,
                          geom_type=geom_type)
        for field_name, field_type in fields:
            layer.CreateField(ogr.FieldDefn(field_name, field_type))
        return layer

    def add_building(self, building: Building, gsd: GroundSampling) -> None:
        # MultiPolygon for all: a building touching itself at a corner has two parts.
        geometry = ogr.ForceToMultiPolygon(_ogr_geometry(building.geometry))
        factors = gsd.area_factors()
        interval = {"area_m2_low": building.area_m2 * factors[0],
                    "area_m2_high": building.area_m2 * factors[1]} if factors else {}
        self._add(self._buildings, geometry, area_m2=building.area_m2, perimeter_m=building.perimeter_m,
                  score=building.score, gsd_m=gsd.mean_m, gsd_source=gsd.source, **interval,
                  **optional_values(area_reg_m2=building.area_reg_m2))

    def write_summary(self, extent: BaseGeometry, summary: Summary) -> None:
        gdal_call(f"save the buildings in {self.path}", self._buildings.CommitTransaction)
        layer = self._layer(SUMMARY_LAYER, ogr.wkbPolygon, SUMMARY_FIELDS)
        self._add(layer, _ogr_geometry(extent), building_count=summary.building_count,
                  total_area_m2=summary.total_area_m2, analysed_area_m2=summary.analysed_area_m2,
                  built_up_share_pct=summary.built_up_share_pct, **interval_values(summary),
                  **optional_values(total_area_reg_m2=summary.total_area_reg_m2),
                  gsd_m=summary.gsd_m, gsd_source=summary.gsd_source, models=", ".join(summary.models),
                  provider=summary.provider, runtime_s=summary.runtime_s, tiles=summary.tiles)

    def _add(self, layer: ogr.Layer, geometry: ogr.Geometry, **values) -> None:
        feature = ogr.Feature(layer.GetLayerDefn())
        feature.SetGeometry(geometry)
        for name, value in values.items():
            feature.SetField(name, value)
        gdal_call(f"write a feature to {self.path}", layer.CreateFeature, feature)

    def close(self, check: bool = True) -> None:
        """Close the file; with check, OutputError if GDAL could not flush it (check=False after a failure)."""
        def release():
            self._buildings = self._ds = None
        gdal_release(f"finish writing {self.path}", release, check)
