"""Adapt QgsProcessingFeedback to the core's progress(percent, message) and is_cancelled()."""
from ..translation import translate_message


class FeedbackBridge:
    def __init__(self, feedback):
        self._feedback = feedback
        self._last_message = None

    def progress(self, percent: float, message: str) -> None:
        self._feedback.setProgress(min(100.0, max(0.0, percent)))
        # The core repeats a stage's message with every tile; log each stage once.
        if message and message != self._last_message:
            self._last_message = message
            self._feedback.setProgressText(translate_message(message))

    def is_cancelled(self) -> bool:
        return self._feedback.isCanceled()
