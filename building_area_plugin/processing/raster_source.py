"""Turn a QGIS raster layer into something the GDAL-based core can open."""
from typing import Optional

from qgis.core import QgsProcessingException, QgsRasterLayer

from ..core.errors import InputRasterError
from ..core.raster import RasterSource
from ..translation import tr


def reads_as_file(layer) -> bool:
    """Whether the core can read the layer's source itself (GDAL provider).

    Layers from other providers (WMS, XYZ tiles, WMTS, WCS, virtual rasters computed by
    QGIS) have no dataset GDAL can open: they are read through QGIS (processing.web_raster).
    """
    return layer.providerType() == "gdal"


def gdal_dataset_name(layer) -> str:
    """The GDAL dataset name of a file-based raster layer (a path, /vsi... or GPKG:... name)."""
    if not isinstance(layer, QgsRasterLayer) or not layer.isValid():
        raise QgsProcessingException(tr("The input is not a valid raster layer."))
    return layer.source()


def raster_problem(value) -> Optional[str]:
    """Why the core cannot read ``value`` as a raster (a missing, corrupt or empty file, ...); None if it can
    or if ``value`` is not a file name (a layer object or id)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        RasterSource(value).close()
    except InputRasterError as error:
        return str(error)
    return None
