"""QGIS-free core of building-area: raster in, buildings with ground areas out.

Nothing in this package imports qgis. The public entry point is
:func:`building_area_plugin.core.pipeline.run_pipeline`.
"""
