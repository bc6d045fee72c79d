"""GDAL calls whose failures become OutputError, whichever way GDAL reports them.

GDAL signals failure by a None/non-zero return, or by RuntimeError once anything in
the process has called gdal.UseExceptions() (QGIS plugins and tests do); callers here
see one behaviour either way. A call stopped by a cancelling progress callback
becomes CancelledError.
"""
from typing import Callable, Optional

from osgeo import gdal

from .errors import CancelledError, OutputError


def gdal_call(what: str, function: Callable, *args, is_cancelled: Optional[Callable[[], bool]] = None, **kwargs):
    """``function(*args, **kwargs)``; ``what`` completes "Could not ..." in the error message."""
    gdal.ErrorReset()
    gdal.PushErrorHandler("CPLQuietErrorHandler")  # the reason goes into our message, not to stderr
    try:
        result = function(*args, **kwargs)
        reason = gdal.GetLastErrorMsg()
    except RuntimeError as exc:
        result, reason = None, str(exc)
    finally:
        gdal.PopErrorHandler()
    if is_cancelled is not None and is_cancelled():
        raise CancelledError(f"Cancelled; could not {what}.")
    failed = result is None or (isinstance(result, int) and result != 0)
    if failed:
        raise OutputError(f"Could not {what}: {reason or 'GDAL gave no reason'}. "
                          f"Check free disk space and write permission in that folder.")
    return result


def gdal_progress(is_cancelled: Callable[[], bool]):
    """A GDAL progress callback that stops GDAL when the user cancels."""
    def callback(_complete, _message, _data):
        return 0 if is_cancelled() else 1
    return callback
