"""GDAL calls whose failures become OutputError, whichever way GDAL reports them.

GDAL signals failure by a None/non-zero return, or by RuntimeError once anything in
the process has called gdal.UseExceptions() (QGIS plugins and tests do); callers here
see one behaviour either way. A call stopped by a cancelling progress callback
becomes CancelledError.
"""
from contextlib import contextmanager, suppress
from typing import Callable, Iterator, Optional

from osgeo import gdal

from .errors import CancelledError, OutputError, one_line


def gdal_call(what: str, function: Callable, *args, is_cancelled: Optional[Callable[[], bool]] = None, **kwargs):
    """``function(*args, **kwargs)``; ``what`` completes "Could not ..." in the error message."""
    gdal.ErrorReset()
    gdal.PushErrorHandler("CPLQuietErrorHandler")  # the reason goes into our message, not to stderr
    try:
        result = function(*args, **kwargs)
        reason = one_line(gdal.GetLastErrorMsg())
    except RuntimeError as exc:
        result, reason = None, one_line(exc)
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


def gdal_release(what: str, release: Callable[[], None], check: bool = True) -> None:
    """``release()`` drops the last references to a dataset, which makes GDAL flush and close it.

    A failure while flushing (a full disk) reaches no return value: it is read from GDAL's
    last error, or caught as the RuntimeError GDAL raises instead when exceptions are on, and
    becomes OutputError (``what`` completes "Could not ..."). With check=False (closing after
    an earlier failure) the dataset is only released.
    """
    if not check:
        with suppress(RuntimeError):  # the earlier failure is the one to report
            release()
        return
    gdal.ErrorReset()
    gdal.PushErrorHandler("CPLQuietErrorHandler")
    try:
        release()
        failed, reason = gdal.GetLastErrorType() >= gdal.CE_Failure, one_line(gdal.GetLastErrorMsg())
    except RuntimeError as exc:  # with gdal.UseExceptions() on, GDAL 3.10 raises what 3.6 records
        failed, reason = True, one_line(exc)
    finally:
        gdal.PopErrorHandler()
    if failed:
        raise OutputError(f"Could not {what}: {reason or 'GDAL gave no reason'}. "
                          f"Check free disk space and write permission in that folder.")


@contextmanager
def gdal_cache_limit(max_bytes: int) -> Iterator[None]:
    """Cap GDAL's block cache at max_bytes while inside (never raise it), then restore it.

    GDAL's default cache is 5 % of the machine's RAM and fills with every block a run
    reads or writes: on a large raster that, not our arrays, would set the peak memory.
    """
    previous = gdal.GetCacheMax()
    gdal.SetCacheMax(min(previous, max_bytes))
    try:
        yield
    finally:
        gdal.SetCacheMax(previous)
