"""The batch on an existing Dask cluster: a real `dask scheduler` and two `dask worker` processes on 127.0.0.1,
started here. One worker is killed while units run: the run completes, and no building is lost or found twice
(the same buildings as a run in one process)."""
import glob
import json
import os
import subprocess
import sys
import time

import pytest

from building_area_plugin.batch.runner import run_batch
from tests.batch.conftest import ROOT, SQUARES, batch_env, batch_params, expected_areas, read_buildings

DASK = os.path.join(os.path.dirname(sys.executable), "dask")
WAIT_S = 120  # for the scheduler's file and the first units: a generous bound on a busy machine, not a timing


def wait_for(condition, what):
    deadline = time.monotonic() + WAIT_S
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.02)


@pytest.fixture
def dask_cluster(tmp_path):
    """(scheduler address, [worker processes]): one scheduler and two single-threaded workers without nannies
    (a killed worker stays dead), all on 127.0.0.1, with this checkout importable."""
    env = batch_env()
    logs = open(tmp_path / "dask.log", "w", encoding="utf-8")
    scheduler_file = tmp_path / "scheduler.json"
    processes = [subprocess.Popen([DASK, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                                   "--scheduler-file", str(scheduler_file)], env=env, stdout=logs, stderr=logs)]
    try:
        wait_for(scheduler_file.exists, "the scheduler")
        wait_for(lambda: "address" in scheduler_file.read_text(), "the scheduler's address")
        address = json.loads(scheduler_file.read_text())["address"]
        workers = [subprocess.Popen([DASK, "worker", address, "--nthreads", "1", "--no-nanny", "--no-dashboard",
                                     "--host", "127.0.0.1", "--name", f"worker-{i}"], env=env, stdout=logs, stderr=logs)
                   for i in range(2)]
        processes += workers
        yield address, workers
    finally:
        # Workers first, each while the scheduler still answers its goodbye; then the scheduler.
        for process in reversed(processes):
            if process.poll() is None:
                process.terminate()
            try:
                process.wait(timeout=WAIT_S)
            except subprocess.TimeoutExpired:  # slow to close on a loaded machine: it has done its part
                process.kill()
                process.wait()
        logs.close()


def test_a_killed_worker_loses_no_building_and_duplicates_none(dask_cluster, mosaic, bright_model, tmp_path):
    address, workers = dask_cluster
    output = tmp_path / "city.gpkg"
    units = tmp_path / "city_batch" / "units"
    command = [sys.executable, "-m", "building_area_plugin.batch", mosaic, "-o", str(output), "--scheduler", address,
               "--segmentation-model", bright_model, "--no-detect", "--window", "64", "--margin", "16", "--json",
               "--no-progress"]
    client = subprocess.Popen(command, cwd=ROOT, env=batch_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)
    try:
        wait_for(lambda: len(glob.glob(str(units / "*.json"))) >= 2 or client.poll() is not None, "the first units")
        assert client.poll() is None, client.communicate()[1]  # still running: 36 units
        workers[0].kill()  # mid-run: the scheduler runs its units again on the other worker
        workers[0].wait()
        out, err = client.communicate(timeout=600)
    finally:
        if client.poll() is None:
            client.kill()
    assert client.returncode == 0, err
    summary = json.loads(out)
    assert summary["units"]["failed"] == 0 and summary["units"]["total"] == 36
    assert summary["cluster"]["kind"] == "scheduler"

    single = run_batch(batch_params([mosaic], tmp_path / "single.gpkg", bright_model, window_px=64, margin_px=16))
    found = read_buildings(output)
    assert found == read_buildings(single.output_path)
    assert [area for area, *_ in found] == pytest.approx(expected_areas(SQUARES), rel=0.003)
    assert not [name for name in os.listdir(units) if name.startswith(".")]  # no partial unit left behind
    pids = {int(json.load(open(path, encoding="utf-8"))["worker"].rpartition(":")[2])
            for path in glob.glob(str(units / "*.json"))}
    assert workers[1].pid in pids and pids <= {workers[0].pid, workers[1].pid}  # the survivor finished the run
