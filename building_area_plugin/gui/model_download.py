"""Offer to download missing models before the toolbar opens the algorithm dialog.

The light plugin ships models/manifest.json without the model files. The download runs as a QgsTask
(QGIS stays usable) behind a cancelable progress dialog; the work itself, with resume and checksum,
is model_download.download_model.
"""
from typing import Callable, List, Optional

from qgis.core import QgsApplication, QgsTask
from qgis.PyQt.QtWidgets import QMessageBox, QProgressDialog

from ..core.errors import BuildingAreaError
from ..core.manifest import ModelEntry
from ..model_download import download_model, manual_install_hint
from ..translation import tr, translate_message

TITLE = "Building area"  # tr(TITLE) in the dialogs


class ModelDownloadTask(QgsTask):
    """Download entries into folder one after the other; on failure, error holds the message for the user."""

    def __init__(self, entries: List[ModelEntry], folder: str):
        super().__init__(tr("Building area: downloading models"), QgsTask.Flag.CanCancel)
        self.entries = entries
        self.folder = folder
        self.error: Optional[str] = None

    def run(self) -> bool:  # in a worker thread
        total = sum(entry.size for entry in self.entries)
        finished = 0
        try:
            for entry in self.entries:
                def progress(done, _, before=finished):
                    self.setProgress(100.0 * (before + done) / total)

                download_model(entry, self.folder, progress=progress, is_cancelled=self.isCanceled)
                finished += entry.size
        except BuildingAreaError as error:
            self.error = translate_message(str(error))
            return False
        return True


def download_question(entries: List[ModelEntry], folder: str) -> str:
    names = ", ".join(tr("{} ({:.1f} MB)").format(entry.file, entry.size_mb) for entry in entries)
    offline = "; ".join(translate_message(manual_install_hint(entry, folder)) for entry in entries)
    return tr("This build of the plugin downloads its models on first use: {} is not installed yet.\n\n"
              "Download now into {}?\n\nWithout internet access: {}.").format(names, folder, offline)


def offer_download(parent, entries: List[ModelEntry], folder: str,
                   on_downloaded: Callable[[], None]) -> Optional[ModelDownloadTask]:
    """Ask, then download in the background and call on_downloaded once every model is in place.

    Returns the running task (keep a reference until it ends), or None when the user declines.
    """
    answer = QMessageBox.question(parent, tr(TITLE), download_question(entries, folder))
    if answer != QMessageBox.StandardButton.Yes:
        return None
    task = ModelDownloadTask(entries, folder)
    progress = QProgressDialog(tr("Downloading {}…").format(", ".join(entry.file for entry in entries)), tr("Cancel"),
                               0, 100, parent)
    progress.setWindowTitle(tr(TITLE))
    progress.setMinimumDuration(0)
    task.progressChanged.connect(lambda percent: progress.setValue(int(percent)))
    progress.canceled.connect(task.cancel)

    def finished(succeeded: bool):
        progress.canceled.disconnect(task.cancel)  # hiding the dialog must not cancel a finished task
        progress.reset()
        if succeeded:
            on_downloaded()
        elif not task.isCanceled():
            QMessageBox.warning(parent, tr(TITLE), task.error or tr("The model download failed."))

    task.taskCompleted.connect(lambda: finished(True))
    task.taskTerminated.connect(lambda: finished(False))
    QgsApplication.taskManager().addTask(task)
    return task
