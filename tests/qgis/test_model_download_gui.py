"""The toolbar button of the light plugin: it offers to download the missing model (a QgsTask with a
cancelable progress dialog), then opens the algorithm dialog."""
import pathlib
import time

import pytest
from qgis.core import QgsApplication
from qgis.PyQt.QtCore import QCoreApplication
from qgis.PyQt.QtWidgets import QMessageBox

from building_area_plugin import plugin as plugin_module, shipped_models
from building_area_plugin.gui.model_download import ModelDownloadTask, download_question
from tests.delivery.model_server import MODEL_FILE, ModelServer, light_plugin_models, model_entry

FILE = MODEL_FILE
PAYLOAD = bytes(range(256)) * 1000


@pytest.fixture
def server():
    with ModelServer(PAYLOAD) as running:
        yield running


@pytest.fixture
def entry(server):
    return model_entry(PAYLOAD, server.url)


@pytest.fixture
def profile_models(tmp_path, entry, monkeypatch):
    """A light plugin (manifest, no model) and an empty QGIS profile; returns the profile's models folder."""
    monkeypatch.setattr(shipped_models, "MODEL_DIRS", [light_plugin_models(tmp_path / "plugin" / "models", entry)])
    monkeypatch.setattr(QgsApplication, "qgisSettingsDirPath", staticmethod(lambda: str(tmp_path / "profile")))
    return tmp_path / "profile" / "building_area" / "models"


@pytest.fixture
def opened(monkeypatch):
    """Records each opening of the algorithm dialog instead of showing it."""
    calls = []
    monkeypatch.setattr(plugin_module, "open_detect_dialog", lambda iface: calls.append(iface))
    return calls


def answer(monkeypatch, button):
    questions = []
    monkeypatch.setattr(QMessageBox, "question", lambda parent, title, text: questions.append(text) or button)
    return questions


def wait_until(condition, seconds=30.0):
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        QCoreApplication.processEvents()
        time.sleep(0.01)
    assert condition()


def test_the_button_downloads_the_missing_model_then_opens_the_dialog(plugin, profile_models, opened, entry,
                                                                      monkeypatch):
    questions = answer(monkeypatch, QMessageBox.StandardButton.Yes)
    plugin.action.trigger()
    assert questions == [download_question([entry], str(profile_models))] and opened == []
    wait_until(lambda: opened)
    assert (profile_models / FILE).read_bytes() == PAYLOAD
    assert plugin.download is None
    plugin.action.trigger()  # installed now: no question, straight to the dialog
    assert len(questions) == 1 and len(opened) == 2


def test_declining_the_download_still_opens_the_dialog(plugin, profile_models, opened, monkeypatch):
    answer(monkeypatch, QMessageBox.StandardButton.No)
    plugin.action.trigger()
    assert len(opened) == 1 and not profile_models.exists()


def test_a_failed_download_is_shown_and_the_dialog_stays_closed(plugin, profile_models, opened, server,
                                                                monkeypatch):
    answer(monkeypatch, QMessageBox.StandardButton.Yes)
    warnings = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text: warnings.append(text))
    server.status = 500
    plugin.action.trigger()
    wait_until(lambda: warnings)
    assert f"{server.url}: the server answered HTTP 500" in warnings[0] and str(profile_models) in warnings[0]
    assert opened == [] and plugin.download is None


def test_the_task_reports_progress_and_honours_cancel(entry, tmp_path):
    task = ModelDownloadTask([entry], str(tmp_path))
    assert task.run() and task.progress() == pytest.approx(100.0)
    assert pathlib.Path(tmp_path / FILE).read_bytes() == PAYLOAD

    (tmp_path / FILE).unlink()
    cancelled = ModelDownloadTask([entry], str(tmp_path))
    cancelled.cancel()
    assert not cancelled.run() and "cancelled" in cancelled.error
    assert not (tmp_path / FILE).exists()
