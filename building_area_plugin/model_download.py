"""Download a model listed in models/manifest.json into the user's models folder (no QGIS here).

The file is streamed in chunks into ``<file>.part``; after a dropped connection the next request
asks only for the missing bytes (HTTP Range), so a 25 MB model survives a flaky line, and a
cancelled download resumes where it stopped. Only a file with the manifest's size and SHA-256 is
renamed (atomically) to its final name; a mismatching one is deleted. Each of the entry's URLs is
tried in turn; when all fail, the error names every URL with its reason and the folder to put the
file in by hand.
"""
import os
from typing import Callable, List, Optional

import requests

from .core.checksums import file_sha256
from .core.errors import CancelledError, DownloadError, one_line
from .core.manifest import ModelEntry

PART_SUFFIX = ".part"
CHUNK_BYTES = 1 << 16
TIMEOUT_S = (10, 60)  # (connect, between two reads): a stalled server fails instead of hanging QGIS's task
ATTEMPTS_PER_URL = 3  # requests per URL; each one after the first resumes from the .part file

Progress = Callable[[int, int], None]  # (bytes on disk, bytes in all)


class _UrlFailed(Exception):
    """This URL cannot deliver the file (the next one may); the message is the reason."""


def manual_install_hint(entry: ModelEntry, folder: str) -> str:
    return (f"download it by hand from {entry.urls[0]} and put it in {folder} "
            f"(size {entry.size} bytes, SHA-256 {entry.sha256})")


def missing_model_message(entry: ModelEntry, folder: str) -> str:
    """For Processing and qgis_process, which never download: what is missing and how to install it."""
    return (f"The model {entry.file} ({entry.size_mb:.1f} MB) is not installed: this build of the plugin "
            f"downloads its models on first use. Press the Building area toolbar button in QGIS once to "
            f"download it, or {manual_install_hint(entry, folder)}.")


def download_model(entry: ModelEntry, folder: str, progress: Optional[Progress] = None,
                   is_cancelled: Callable[[], bool] = lambda: False) -> str:
    """Download entry into folder and return the model's path.

    Raises DownloadError when no URL delivers the file, CancelledError when is_cancelled() turns
    true (the .part file stays, so the next call resumes it).
    """
    try:
        return _download(entry, folder, progress or (lambda done, total: None), is_cancelled)
    except OSError as exc:
        raise DownloadError(f"Cannot write the model {entry.file} into {folder} ({exc.strerror or exc}): make the "
                            f"folder writable or free {entry.size_mb:.0f} MB on its disk.") from None


def _download(entry: ModelEntry, folder: str, progress: Progress, is_cancelled) -> str:
    os.makedirs(folder, exist_ok=True)
    target = os.path.join(folder, entry.file)
    partial = target + PART_SUFFIX
    failures: List[str] = []
    for url in entry.urls:
        try:
            _fetch(url, entry, partial, progress, is_cancelled)
            _verify(entry, partial)
        except _UrlFailed as failure:
            failures.append(f"{url}: {failure}")
            continue
        os.replace(partial, target)
        return target
    raise DownloadError(f"Cannot download the model {entry.file} ({entry.size_mb:.1f} MB): {'; '.join(failures)}. "
                        f"Check the internet connection, or {manual_install_hint(entry, folder)}.")


def _size(path: str) -> int:
    return os.path.getsize(path) if os.path.exists(path) else 0


def _fetch(url: str, entry: ModelEntry, partial: str, progress: Progress, is_cancelled) -> None:
    """Fill partial up to entry.size from url, resuming after each dropped connection."""
    if _size(partial) > entry.size:
        os.remove(partial)  # left by another file of the same name: nothing in it can be resumed
    reason = None
    for _ in range(ATTEMPTS_PER_URL):
        if _size(partial) >= entry.size:
            return
        try:
            _request_into(url, entry, partial, progress, is_cancelled)
        except requests.RequestException as exc:
            reason = f"the connection failed ({one_line(exc)})"
        else:
            reason = "the server closed the connection early"
    received = _size(partial)
    if received < entry.size:
        kept = f"; the {received} bytes received are kept in {partial} and the next download resumes from there"
        raise _UrlFailed(f"{reason}, {ATTEMPTS_PER_URL} times{kept if received else ''}")


def _request_into(url: str, entry: ModelEntry, partial: str, progress: Progress, is_cancelled) -> None:
    offset = _size(partial)
    headers = {"Range": f"bytes={offset}-"} if offset else {}
    with requests.get(url, headers=headers, stream=True, timeout=TIMEOUT_S) as response:
        if response.status_code == 416:
            # The server's file is no longer than the .part: it is not a prefix of this file.
            os.remove(partial)
            raise _UrlFailed("the partial download did not fit the server's file and was deleted; try again")
        if response.status_code >= 400:
            raise _UrlFailed(f"the server answered HTTP {response.status_code} {response.reason}")
        _keep_bytes_of_a_short_body(response)
        # 206: the missing bytes follow; 200: the server ignores Range and sends the whole file again.
        resumed = response.status_code == 206 and _content_range_start(response) == offset
        done = offset if resumed else 0
        with open(partial, "ab" if resumed else "wb") as stream:
            for chunk in response.iter_content(CHUNK_BYTES):
                if is_cancelled():
                    raise CancelledError(f"The download of {entry.file} was cancelled; the {done} bytes received "
                                         f"are kept in {partial} and the next download resumes from there.")
                stream.write(chunk)
                done += len(chunk)
                if done > entry.size:
                    break
                progress(done, entry.size)
    if done > entry.size:
        os.remove(partial)
        raise _UrlFailed(f"the server sends more than the manifest's {entry.size} bytes: it is another file")


def _keep_bytes_of_a_short_body(response) -> None:
    """Let a body cut short by a dropped connection end the iteration with every byte that came.

    urllib3 2 (Debian 13) enforces Content-Length by default: when the connection drops, it
    raises IncompleteRead from inside read() and drops the bytes it had buffered for that
    chunk, so up to a chunk (or all of a short download) never reaches the .part file and
    the next request cannot resume from it. urllib3 1.26 (Debian 12) does not enforce it and
    hands them over. Turned off here, both end the body short, and _fetch sees the missing
    bytes by the .part file's size and resumes them with a Range request.
    """
    if hasattr(response.raw, "enforce_content_length"):
        response.raw.enforce_content_length = False


def _content_range_start(response) -> Optional[int]:
    # "Content-Range: bytes 1000-24528551/24528552"
    unit, _, spec = response.headers.get("Content-Range", "").partition(" ")
    start = spec.split("-", 1)[0]
    return int(start) if unit == "bytes" and start.isdigit() else None


def _verify(entry: ModelEntry, partial: str) -> None:
    """The manifest's size and SHA-256, or the file is deleted (a corrupt download must never be resumed)."""
    digest = file_sha256(partial)
    if digest != entry.sha256 or _size(partial) != entry.size:
        os.remove(partial)
        raise _UrlFailed(f"the file received has SHA-256 {digest}, not the manifest's {entry.sha256}: it is "
                         f"corrupt or another file, and was deleted")
