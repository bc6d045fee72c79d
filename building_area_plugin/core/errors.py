"""Typed errors of the core. Each message names the problem and the fix, on one line."""


def one_line(reason: object) -> str:
    """A library's reason (GDAL's, onnxruntime's: sometimes several lines) as one line for a message."""
    return " ".join(str(reason).split())


class BuildingAreaError(Exception):
    """Base class of every expected failure (shown to the user without traceback)."""


class InputRasterError(BuildingAreaError):
    """The input raster is missing, unreadable or unusable."""


class GsdUnknownError(BuildingAreaError):
    """No ground sampling distance could be determined."""


class ModelError(BuildingAreaError):
    """A model file is missing, is not a valid ONNX model, or has bad metadata."""


class OutputError(BuildingAreaError):
    """An output cannot be written."""


class ParameterError(BuildingAreaError):
    """A parameter value is out of range."""


class CancelledError(BuildingAreaError):
    """The user cancelled the run; partial outputs have been removed."""


class DownloadError(ModelError):
    """A model listed in the manifest could not be downloaded (or failed its checksum once downloaded)."""
