"""Explain missing third-party Python packages instead of showing an ImportError traceback."""
from typing import Optional

# import name -> pip package name
RUNTIME_PACKAGES = {"onnxruntime": "onnxruntime", "cv2": "opencv-python-headless"}


def missing_package_message(error: ImportError) -> Optional[str]:
    """A how-to-install message if the error is a missing runtime package, else None."""
    top_level = (error.name or "").split(".")[0]
    if top_level not in RUNTIME_PACKAGES:
        return None
    return (
        f"The Python package '{RUNTIME_PACKAGES[top_level]}' is not installed in the Python that QGIS uses. "
        f"Install it with: python3 -m pip install {' '.join(RUNTIME_PACKAGES.values())} "
        "(Windows: from the OSGeo4W Shell; Debian/Ubuntu: in a venv created with "
        "--system-site-packages whose site-packages is on QGIS's PYTHONPATH, as scripts/qgis_process.sh does)."
    )
