"""Downloading a model from a loopback server: verified, resumed, refused when corrupt, clear on errors."""
import os
import random
import socket

import pytest

from building_area_plugin.core.errors import CancelledError, DownloadError
from building_area_plugin.core.manifest import ModelEntry
from building_area_plugin.model_download import PART_SUFFIX, download_model, missing_model_message
from tests.delivery.model_server import ModelServer, model_entry

PAYLOAD = random.Random(7).randbytes(300_000)  # several download chunks


def entry_for(*urls) -> ModelEntry:
    return model_entry(PAYLOAD, *urls)


@pytest.fixture
def server():
    with ModelServer(PAYLOAD) as running:
        yield running


@pytest.fixture
def folder(tmp_path):
    return tmp_path / "profile" / "building_area" / "models"


def test_a_download_is_verified_and_renamed_into_place(server, folder):
    seen = []
    path = download_model(entry_for(server.url), str(folder), progress=lambda done, total: seen.append((done, total)))
    assert path == str(folder / "building_segmentation_v1.onnx")
    assert (folder / "building_segmentation_v1.onnx").read_bytes() == PAYLOAD
    assert os.listdir(folder) == ["building_segmentation_v1.onnx"]
    assert seen[-1] == (len(PAYLOAD), len(PAYLOAD)) and len(seen) > 1
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)


def test_a_corrupt_file_is_refused_and_deleted(server, folder):
    server.corrupt = True
    with pytest.raises(DownloadError) as raised:
        download_model(entry_for(server.url), str(folder))
    message = str(raised.value)
    assert server.url in message and "SHA-256" in message and "was deleted" in message
    assert f"put it in {folder}" in message
    assert os.listdir(folder) == []


def test_a_dropped_connection_is_resumed_with_a_range_request(server, folder):
    server.drop_after, server.drops = 100_000, 1
    download_model(entry_for(server.url), str(folder))
    assert (folder / "building_segmentation_v1.onnx").read_bytes() == PAYLOAD
    assert server.ranges == [None, "bytes=100000-"]


def test_an_interrupted_download_is_kept_and_resumed_by_the_next_call(server, folder):
    server.drop_after, server.drops = 40_000, 3  # every attempt of the first call is cut
    with pytest.raises(DownloadError, match="kept in .*resumes from there"):
        download_model(entry_for(server.url), str(folder))
    partial = folder / ("building_segmentation_v1.onnx" + PART_SUFFIX)
    assert partial.read_bytes() == PAYLOAD[:120_000]

    download_model(entry_for(server.url), str(folder))
    assert server.ranges[-1] == "bytes=120000-"
    assert (folder / "building_segmentation_v1.onnx").read_bytes() == PAYLOAD and not partial.exists()


def test_a_cancelled_download_keeps_its_part_file_for_the_next_call(server, folder):
    calls = []
    with pytest.raises(CancelledError, match="resumes"):
        download_model(entry_for(server.url), str(folder), is_cancelled=lambda: calls.append(1) or len(calls) > 2)
    kept = (folder / ("building_segmentation_v1.onnx" + PART_SUFFIX)).stat().st_size
    assert 0 < kept < len(PAYLOAD)
    download_model(entry_for(server.url), str(folder))
    assert server.ranges[-1] == f"bytes={kept}-"
    assert (folder / "building_segmentation_v1.onnx").read_bytes() == PAYLOAD


def test_a_server_ignoring_range_sends_the_whole_file_again(server, folder):
    server.honour_range = False
    folder.mkdir(parents=True)
    (folder / ("building_segmentation_v1.onnx" + PART_SUFFIX)).write_bytes(b"x" * 1000)
    download_model(entry_for(server.url), str(folder))
    assert server.ranges == ["bytes=1000-"]
    assert (folder / "building_segmentation_v1.onnx").read_bytes() == PAYLOAD


@pytest.mark.parametrize("status", [404, 500])
def test_server_errors_name_the_url_the_status_and_the_folder(server, folder, status):
    server.status = status
    with pytest.raises(DownloadError) as raised:
        download_model(entry_for(server.url), str(folder))
    message = str(raised.value)
    assert f"{server.url}: the server answered HTTP {status}" in message
    assert f"download it by hand from {server.url} and put it in {folder}" in message
    assert not (folder / "building_segmentation_v1.onnx").exists()


def test_the_next_url_is_tried_when_one_fails(server, folder):
    download_model(entry_for(server.missing_url, server.url), str(folder))
    assert (folder / "building_segmentation_v1.onnx").read_bytes() == PAYLOAD


def test_a_refused_connection_is_a_clear_error(folder):
    with socket.socket() as probe:  # a port nobody listens on once the probe is closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/building_segmentation_v1.onnx"
    with pytest.raises(DownloadError, match=f"{url}: the connection failed") as raised:
        download_model(entry_for(url), str(folder))
    assert "kept in" not in str(raised.value)


def test_an_unwritable_folder_is_a_clear_error(server, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(DownloadError, match="Cannot write the model .* into"):
        download_model(entry_for(server.url), str(blocker / "models"))


def test_the_missing_model_message_names_the_url_and_the_folder():
    message = missing_model_message(entry_for("https://example.org/m.onnx"), "/home/u/profile/building_area/models")
    assert "https://example.org/m.onnx" in message and "/home/u/profile/building_area/models" in message
    assert "toolbar button" in message
