"""Batch runs over many rasters (a whole city), on Dask or in one process: QGIS-free, like the core.

- inputs: files, folders, globs, VRTs and text files of paths -> the raster paths;
- units: rasters checked, tiles of one mosaic grouped (a VRT over them), windows of large rasters;
- unit: one work unit, run by a worker: the core pipeline on the unit's window, its buildings split
  into those inside the unit and the pieces cut by its seams, written atomically;
- merge: pieces unioned across seams and measured again, one GeoPackage, the per-raster summary;
- manifest: what a rerun into the same output can skip;
- runner: the whole run (plan, execute, merge); dask_runner: the Dask part; cli: the command
  ``python -m building_area_plugin.batch`` (scripts/building-area-batch).

Dask is imported only by dask_runner, so the plugin loads without it.
"""
