"""Progress of a tile stage: percent by tiles done, and a message with the time left.

The message changes at most every MESSAGE_EVERY_S seconds: QGIS logs each new message,
and a line per batch would bury the log of a city-wide run.
"""
import time
from typing import Callable, Optional

from .params import ProgressCallback

MESSAGE_EVERY_S = 10.0


def duration_text(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


class TileProgress:
    """on_batch(done, total) for a stage spanning percent [start, start + share] of the run."""

    def __init__(self, progress: ProgressCallback, verb: str, start: float, share: float,
                 clock: Callable[[], float] = time.monotonic):
        self._progress, self._verb, self._start, self._share, self._clock = progress, verb, start, share, clock
        self._began = clock()
        self._message: Optional[str] = None
        self._message_at = -float("inf")

    def __call__(self, done: int, total: int) -> None:
        now = self._clock()
        if self._message is None or now - self._message_at >= MESSAGE_EVERY_S or done == total:
            self._message, self._message_at = self._text(done, total, now - self._began), now
        self._progress(self._start + self._share * done / total, self._message)

    def _text(self, done: int, total: int, elapsed: float) -> str:
        text = f"{self._verb} {done} of {total} tiles"
        if 0 < done < total:
            text += f", about {duration_text(elapsed * (total - done) / done)} left"
        return text
