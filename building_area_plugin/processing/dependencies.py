"""Explain missing third-party Python packages instead of showing an ImportError traceback."""
from typing import Dict, Optional

# import name -> pip package name
RUNTIME_PACKAGES = {"onnxruntime": "onnxruntime", "cv2": "opencv-python-headless"}
# The batch algorithm also needs Dask (the package distributed brings dask itself).
BATCH_PACKAGES = dict(RUNTIME_PACKAGES, dask="distributed", distributed="distributed")


def missing_package_message(error: ImportError, packages: Dict[str, str] = RUNTIME_PACKAGES) -> Optional[str]:
    """A how-to-install message if the error is a missing runtime package, else None."""
    top_level = (error.name or "").split(".")[0]
    if top_level not in packages:
        return None
    return (
        f"The Python package '{packages[top_level]}' is not installed in the Python that QGIS uses. "
        f"Install it with: python3 -m pip install {' '.join(dict.fromkeys(packages.values()))} "
        "(Windows: from the OSGeo4W Shell; Debian/Ubuntu: in a venv created with "
        "--system-site-packages whose site-packages is on QGIS's PYTHONPATH, as scripts/qgis_process.sh does)."
    )
