"""The units' results -> one GeoPackage of all buildings, the per-raster summary (layer and CSV), the result.

Buildings inside a unit are copied as the pipeline measured them. Pieces of buildings cut by the
units' seams are joined: within one dataset (a raster, or a mosaic's VRT) pieces of different units
that touch belong to one building, whose outline is their union (the pieces meet exactly: they are
cut on pixel edges of one pixel space) and whose area and perimeter are measured again, on the
ellipsoid, by the core's GroundAreaCalculator. The minimum area applies to the joined building. With
regularized outlines, a joined building's outline is regularized here (the units did the others).
A joined building belongs to the raster holding the largest part of it, so the per-raster counts
and areas add up to the merged layer.

All buildings are written in one CRS: the one most rasters have (others are reprojected; areas
were measured on the ground before). Buildings of rasters without a CRS go to the layer
``buildings_unreferenced`` in their pixel coordinates (x = column, y = -row), as QGIS shows them.
"""
import csv
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Tuple

from osgeo import ogr, osr
from shapely.affinity import affine_transform
from shapely.geometry.base import BaseGeometry
from shapely.ops import unary_union

from ..core.areas import GroundAreaCalculator
from ..core.errors import CancelledError, OutputError
from ..core.gdal_calls import gdal_call, gdal_release
from ..core.geopackage import BUILDINGS_LAYER, spatial_reference
from ..core.params import GroundSampling
from ..core.regularize import Regularizer
from .params import STATUS_FAILED, STATUS_OK, STATUS_PARTIAL, UnitRecord
from .unit import BUILDING_FIELDS, PIECES_LAYER, gpkg_path
from .units import Plan, RasterInfo, Unit, _crs_key
from .vector import add_feature, create_geopackage, create_layer, read_features

UNREFERENCED_LAYER = "buildings_unreferenced"
RASTERS_LAYER = "rasters"
UNITS_LAYER = "units"
OUTPUT_FIELDS = BUILDING_FIELDS + (("raster", ogr.OFTString), ("parts", ogr.OFTInteger))
RASTER_COLUMNS = (("raster", ogr.OFTString), ("status", ogr.OFTString), ("reason", ogr.OFTString),
                  ("building_count", ogr.OFTInteger64), ("total_area_m2", ogr.OFTReal),
                  ("total_area_m2_low", ogr.OFTReal), ("total_area_m2_high", ogr.OFTReal),
                  ("total_area_reg_m2", ogr.OFTReal), ("analysed_area_m2", ogr.OFTReal),
                  ("built_up_share_pct", ogr.OFTReal), ("gsd_m", ogr.OFTReal),
                  ("gsd_source", ogr.OFTString), ("crs", ogr.OFTString), ("units", ogr.OFTInteger),
                  ("units_failed", ogr.OFTInteger), ("runtime_s", ogr.OFTReal), ("note", ogr.OFTString))
UNIT_COLUMNS = (("unit_id", ogr.OFTString), ("raster", ogr.OFTString), ("status", ogr.OFTString),
                ("reason", ogr.OFTString), ("window", ogr.OFTString), ("buildings", ogr.OFTInteger64),
                ("pieces", ogr.OFTInteger64), ("analysed_area_m2", ogr.OFTReal), ("runtime_s", ogr.OFTReal),
                ("worker", ogr.OFTString), ("note", ogr.OFTString))
INDEX_CELL_PX = 512


@dataclass
class RasterRow:
    raster: str
    status: str = STATUS_OK
    reason: str = ""
    building_count: int = 0
    total_area_m2: float = 0.0
    total_area_m2_low: Optional[float] = None
    total_area_m2_high: Optional[float] = None
    total_area_reg_m2: Optional[float] = None
    analysed_area_m2: float = 0.0
    built_up_share_pct: float = 0.0
    gsd_m: Optional[float] = None
    gsd_source: str = ""
    crs: str = ""
    units: int = 0
    units_failed: int = 0
    runtime_s: float = 0.0
    note: str = ""

    def add_area(self, area: float, low: Optional[float], high: Optional[float], area_reg: Optional[float]) -> None:
        self.building_count += 1
        self.total_area_m2 += area
        if low is not None:
            self.total_area_m2_low = (self.total_area_m2_low or 0.0) + low
            self.total_area_m2_high = (self.total_area_m2_high or 0.0) + high
        self.add_area_reg(area_reg)

    def add_area_reg(self, area_reg: Optional[float]) -> None:
        if area_reg is not None:
            self.total_area_reg_m2 = (self.total_area_reg_m2 or 0.0) + area_reg

    def values(self) -> Dict[str, object]:
        return {name: getattr(self, name) for name, _ in RASTER_COLUMNS}


@dataclass
class MergeResult:
    building_count: int = 0
    total_area_m2: float = 0.0
    total_area_reg_m2: Optional[float] = None  # None: outlines not regularized
    analysed_area_m2: float = 0.0
    joined_buildings: int = 0     # buildings joined from pieces across seams
    pieces: int = 0
    rows: List[RasterRow] = field(default_factory=list)
    output_crs: str = ""


@dataclass
class _Piece:
    unit: int
    raster: str
    geometry: BaseGeometry  # in the dataset's pixels
    score: float
    record: UnitRecord


def _out_crs(plan: Plan) -> str:
    """The CRS of most rasters (by count of units), '' when none has one."""
    counts: Counter = Counter()
    wkt_of: Dict[str, str] = {}
    for unit in plan.units:
        if unit.dataset_crs_wkt:
            key = _crs_key(unit.dataset_crs_wkt)
            counts[key] += 1
            wkt_of.setdefault(key, unit.dataset_crs_wkt)
    return wkt_of[counts.most_common(1)[0][0]] if counts else ""


class _Writer:
    """The merged GeoPackage: buildings (reprojected into one CRS), unreferenced buildings, rasters, units."""

    def __init__(self, path: str, out_crs: str):
        self.path, self.out_crs = path, out_crs
        self._ds = create_geopackage(path)
        self.buildings = create_layer(self._ds, path, BUILDINGS_LAYER, out_crs, ogr.wkbMultiPolygon, OUTPUT_FIELDS)
        self._ds.StartTransaction()  # the buildings layers in one transaction (GeoPackage transactions are per file)
        self._unreferenced = None
        self._transforms: Dict[str, Optional[osr.CoordinateTransformation]] = {}

    def layer_for(self, crs_wkt: str) -> Tuple[ogr.Layer, Optional[osr.CoordinateTransformation]]:
        if not crs_wkt and self.out_crs:
            if self._unreferenced is None:
                self._unreferenced = create_layer(self._ds, self.path, UNREFERENCED_LAYER, "", ogr.wkbMultiPolygon,
                                                  OUTPUT_FIELDS)
            return self._unreferenced, None
        if crs_wkt not in self._transforms:
            same = not crs_wkt or not self.out_crs or _crs_key(crs_wkt) == _crs_key(self.out_crs)
            self._transforms[crs_wkt] = None if same else osr.CoordinateTransformation(
                spatial_reference(crs_wkt), spatial_reference(self.out_crs))
        return self.buildings, self._transforms[crs_wkt]

    def add(self, crs_wkt: str, geometry, values: Dict[str, object]) -> None:
        layer, transform = self.layer_for(crs_wkt)
        if isinstance(geometry, BaseGeometry):
            geometry = ogr.CreateGeometryFromWkb(geometry.wkb)
        geometry = ogr.ForceToMultiPolygon(geometry)
        if transform is not None:
            geometry.Transform(transform)
        add_feature(layer, self.path, geometry, values)

    def finish_buildings(self) -> None:
        gdal_call(f"save the buildings in {self.path}", self._ds.CommitTransaction)

    def table(self, name: str, crs_wkt: Optional[str], geom_type: int, columns, rows: Iterable[Tuple[object, dict]]):
        layer = create_layer(self._ds, self.path, name, crs_wkt, geom_type, columns)
        self._ds.StartTransaction()
        for geometry, values in rows:
            add_feature(layer, self.path, geometry, values)
        gdal_call(f"save the table {name} in {self.path}", self._ds.CommitTransaction)

    def close(self, check: bool = True) -> None:
        def release():
            self.buildings = self._unreferenced = self._ds = None
        gdal_release(f"finish writing {self.path}", release, check)


def _copy_unit_buildings(writer: _Writer, unit: Unit, record: UnitRecord, units_dir: str, row: RasterRow) -> None:
    """Copy a unit's whole buildings (fields matched by name in C, one feature at a time); the unit's record
    holds their count and areas."""
    dataset = ogr.Open(gpkg_path(units_dir, unit.unit_id))
    layer = dataset.GetLayerByName(BUILDINGS_LAYER)
    target, transform = writer.layer_for(unit.dataset_crs_wkt)
    definition = target.GetLayerDefn()
    for source in layer:
        feature = ogr.Feature(definition)
        feature.SetFrom(source)
        feature.SetField("raster", unit.raster)
        feature.SetField("parts", 1)
        if transform is not None:
            feature.GetGeometryRef().Transform(transform)
        if target.CreateFeature(feature) != 0:
            raise OutputError(f"Could not write a building to {writer.path}. Check free disk space and write "
                              f"permission in that folder.")
    row.building_count += record.buildings
    row.total_area_m2 += record.buildings_area_m2
    if record.buildings_area_m2_low is not None:
        row.total_area_m2_low = (row.total_area_m2_low or 0.0) + record.buildings_area_m2_low
        row.total_area_m2_high = (row.total_area_m2_high or 0.0) + record.buildings_area_m2_high
    row.add_area_reg(record.buildings_area_reg_m2)


class _UnionFind:
    def __init__(self, n: int):
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, i: int, j: int) -> None:
        a, b = self.find(i), self.find(j)
        if a != b:
            self.parent[max(a, b)] = min(a, b)


def join_pieces(pieces: Sequence[_Piece]) -> List[List[int]]:
    """Groups of pieces (indexes) that make one building: pieces of different units touching each other."""
    found = _UnionFind(len(pieces))
    cells: Dict[Tuple[int, int], List[int]] = defaultdict(list)
    for i, piece in enumerate(pieces):
        minx, miny, maxx, maxy = piece.geometry.bounds
        for cx in range(int(minx // INDEX_CELL_PX), int(maxx // INDEX_CELL_PX) + 1):
            for cy in range(int(miny // INDEX_CELL_PX), int(maxy // INDEX_CELL_PX) + 1):
                for j in cells[(cx, cy)]:
                    if (pieces[j].unit != piece.unit and found.find(i) != found.find(j)
                            and pieces[j].geometry.intersects(piece.geometry)):
                        found.union(i, j)
                cells[(cx, cy)].append(i)
    groups: Dict[int, List[int]] = defaultdict(list)
    for i in range(len(pieces)):
        groups[found.find(i)].append(i)
    return [groups[key] for key in sorted(groups)]


def _joined_buildings(writer: _Writer, units: Sequence[Unit], records: Dict[str, UnitRecord], units_dir: str,
                      rows: Dict[str, RasterRow], min_area_m2: float, is_cancelled: Callable[[], bool],
                      regularize: bool = False) -> Tuple[int, int]:
    """Join the pieces of each dataset, measure and write the buildings; (buildings, pieces)."""
    by_dataset: Dict[str, List[_Piece]] = defaultdict(list)
    unit_of_dataset: Dict[str, Unit] = {}
    for unit in units:
        record = records.get(unit.unit_id)
        if record is None or record.status != STATUS_OK or not record.pieces:
            continue
        unit_of_dataset.setdefault(unit.dataset_key, unit)
        for geometry, values in read_features(gpkg_path(units_dir, unit.unit_id), PIECES_LAYER, ("score",)):
            by_dataset[unit.dataset_key].append(_Piece(unit.index, unit.raster, geometry, values["score"] or 0.0,
                                                       record))
    written = total_pieces = 0
    for key, pieces in by_dataset.items():
        if is_cancelled():
            raise CancelledError("Cancelled while joining buildings across the units' seams.")
        unit = unit_of_dataset[key]
        total_pieces += len(pieces)
        gt = unit.dataset_geotransform
        to_output = [gt[1], gt[2], gt[4], gt[5], gt[0], gt[3]]
        # One GSD per dataset (its georeferencing's, or the one given): the first unit's; one calculator (its
        # PROJ set-up costs far more than measuring a building).
        first = pieces[0].record
        gsd = GroundSampling(first.gsd_x_m, first.gsd_y_m, first.gsd_source)
        calculator = GroundAreaCalculator(unit.dataset_crs_wkt, gt, gsd)
        regularizer = Regularizer(gt, gsd.x_m, gsd.y_m, calculator) if regularize else None
        for group in join_pieces(pieces):
            members = [pieces[i] for i in group]
            areas = [m.geometry.area for m in members]
            outline = affine_transform(unary_union([m.geometry for m in members]), to_output)
            area, perimeter = calculator.area_perimeter(outline)
            if area < min_area_m2:
                continue
            by_raster: Dict[str, float] = defaultdict(float)
            for member, member_area in zip(members, areas):
                by_raster[member.raster] += member_area
            raster = max(by_raster, key=lambda name: (by_raster[name], name))
            score = sum(m.score * a for m, a in zip(members, areas)) / max(sum(areas), 1e-12)
            area_reg = None
            if regularizer is not None:
                outline = regularizer.outline(outline)
                area_reg = calculator.area_perimeter(outline)[0]
            writer.add(unit.dataset_crs_wkt, outline, {
                "area_m2": area, "perimeter_m": perimeter, "score": score, "gsd_m": (gsd.x_m + gsd.y_m) / 2,
                "gsd_source": gsd.source, "raster": raster, "parts": len(members), "area_reg_m2": area_reg})
            rows[raster].add_area(area, None, None, area_reg)
            written += 1
    return written, total_pieces


def _raster_rows(plan: Plan, records: Dict[str, UnitRecord], missing: Sequence[Tuple[str, str]]) -> Dict[str, RasterRow]:
    rows: Dict[str, RasterRow] = {}
    for item, reason in missing:
        rows[item] = RasterRow(raster=item, status=STATUS_FAILED, reason=reason)
    units_by_raster: Dict[str, List[Unit]] = defaultdict(list)
    for unit in plan.units:
        units_by_raster[unit.raster].append(unit)
    for info in plan.rasters:
        row = rows.setdefault(info.path, RasterRow(raster=info.path))
        if info.error:
            row.status, row.reason = STATUS_FAILED, info.error
            continue
        row.crs = _crs_key(info.crs_wkt) if info.crs_wkt else ""
        unit_records = [records.get(unit.unit_id) for unit in units_by_raster[info.path]]
        row.units = len(unit_records)
        failed = [r for r in unit_records if r is None or r.status != STATUS_OK]
        row.units_failed = len(failed)
        done = [r for r in unit_records if r is not None and r.status == STATUS_OK]
        if failed:
            row.status = STATUS_FAILED if not done else STATUS_PARTIAL
            row.reason = next((r.reason for r in failed if r is not None and r.reason), "")
        row.analysed_area_m2 = sum(r.analysed_area_m2 for r in done)
        row.runtime_s = round(sum(r.runtime_s for r in unit_records if r is not None), 3)
        if done:
            row.gsd_m, row.gsd_source = (done[0].gsd_x_m + done[0].gsd_y_m) / 2, done[0].gsd_source
            row.note = next((r.note for r in done if r.note), "")
    return rows


def _footprint(info: RasterInfo, out_crs: str):
    """The raster's outline in the output CRS, None without georeferencing."""
    if not info.crs_wkt or not info.georeferenced:
        return None
    gt = info.output_geotransform
    corners = [(0, 0), (info.width, 0), (info.width, info.height), (0, info.height), (0, 0)]
    ring = ogr.Geometry(ogr.wkbLinearRing)
    for col, row in corners:
        ring.AddPoint_2D(gt[0] + col * gt[1] + row * gt[2], gt[3] + col * gt[4] + row * gt[5])
    polygon = ogr.Geometry(ogr.wkbPolygon)
    polygon.AddGeometry(ring)
    if out_crs and _crs_key(info.crs_wkt) != _crs_key(out_crs):
        polygon.Transform(osr.CoordinateTransformation(spatial_reference(info.crs_wkt), spatial_reference(out_crs)))
    return polygon


def merge_units(plan: Plan, records: Dict[str, UnitRecord], missing: Sequence[Tuple[str, str]], units_dir: str,
                min_area_m2: float, gpkg: str, csv_path: str, is_cancelled: Callable[[], bool],
                regularize: bool = False) -> MergeResult:
    """Write the merged GeoPackage (gpkg) and the per-raster CSV from the units' files; see the module's doc."""
    out_crs = _out_crs(plan)
    rows = _raster_rows(plan, records, missing)
    result = MergeResult(output_crs=_crs_key(out_crs) if out_crs else "")
    writer = _Writer(gpkg, out_crs)
    try:
        for unit in plan.units:
            record = records.get(unit.unit_id)
            if record is not None and record.status == STATUS_OK:
                if is_cancelled():
                    raise CancelledError("Cancelled while merging the units' buildings.")
                _copy_unit_buildings(writer, unit, record, units_dir, rows[unit.raster])
        result.joined_buildings, result.pieces = _joined_buildings(writer, plan.units, records, units_dir, rows,
                                                                   min_area_m2, is_cancelled, regularize)
        writer.finish_buildings()
        for row in rows.values():
            if row.analysed_area_m2 > 0:
                row.built_up_share_pct = 100.0 * row.total_area_m2 / row.analysed_area_m2
        infos = {info.path: info for info in plan.rasters}
        writer.table(RASTERS_LAYER, out_crs, ogr.wkbPolygon, RASTER_COLUMNS,
                     ((_footprint(infos[row.raster], out_crs) if row.raster in infos else None, row.values())
                      for row in rows.values()))
        writer.table(UNITS_LAYER, None, ogr.wkbNone, UNIT_COLUMNS, ((None, _unit_values(unit, records.get(unit.unit_id)))
                                                                     for unit in plan.units))
    except BaseException:
        writer.close(check=False)
        raise
    writer.close()
    write_csv(csv_path, rows.values())
    result.rows = list(rows.values())
    result.building_count = sum(row.building_count for row in result.rows)
    result.total_area_m2 = sum(row.total_area_m2 for row in result.rows)
    if regularize:
        result.total_area_reg_m2 = sum(row.total_area_reg_m2 or 0.0 for row in result.rows)
    result.analysed_area_m2 = sum(row.analysed_area_m2 for row in result.rows)
    return result


def _unit_values(unit: Unit, record: Optional[UnitRecord]) -> Dict[str, object]:
    values = {"unit_id": unit.unit_id, "raster": unit.raster,
              "window": ",".join(str(v) for v in unit.window) if unit.window else ""}
    if record is None:
        return dict(values, status="not run")
    return dict(values, status=record.status, reason=record.reason, buildings=record.buildings,
                pieces=record.pieces, analysed_area_m2=record.analysed_area_m2, runtime_s=record.runtime_s,
                worker=record.worker, note=record.note)


def write_csv(path: str, rows: Iterable[RasterRow]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as stream:
        out = csv.writer(stream)
        out.writerow([name for name, _ in RASTER_COLUMNS])
        for row in rows:
            out.writerow(["" if value is None else value for value in row.values().values()])


def write_json(path: str, result: dict) -> None:
    with open(path, "w", encoding="utf-8") as stream:
        json.dump(result, stream, indent=2)
        stream.write("\n")

