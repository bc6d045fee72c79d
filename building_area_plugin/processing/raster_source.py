"""Turn a QGIS raster layer into something the GDAL-based core can open."""
from qgis.core import QgsProcessingException, QgsRasterLayer


def gdal_dataset_name(layer) -> str:
    """The GDAL dataset name of a file-based raster layer (a path, /vsi... or GPKG:... name).

    Layers from other providers (WMS, XYZ tiles, WCS, virtual rasters computed by QGIS)
    have no dataset GDAL can open, so they are refused with a way out.
    """
    if not isinstance(layer, QgsRasterLayer) or not layer.isValid():
        raise QgsProcessingException("The input is not a valid raster layer.")
    if layer.providerType() != "gdal":
        raise QgsProcessingException(
            f"'{layer.name()}' comes from the '{layer.providerType()}' provider, which cannot be read "
            "as a file. Save it as a GeoTIFF first (right-click the layer > Export > Save As…) "
            "and run the algorithm on that file."
        )
    return layer.source()
