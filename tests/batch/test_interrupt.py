"""Ctrl-C: the command stops cleanly (exit status 130, no output written, the local cluster closed), and the same
command resumes: it skips the units that finished and ends with the buildings of an uninterrupted run."""
import glob
import json
import os
import signal
import subprocess
import sys
import time

from building_area_plugin.batch.runner import run_batch
from tests.batch.conftest import ROOT, batch_env, batch_params, read_buildings, unit_differences

WAIT_S = 120


def live_processes(group: int):
    """Processes of the group that still run (zombies, waiting for a parent to reap them, do not count)."""
    alive = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="utf-8") as stream:
                    fields = stream.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == group and fields[0] != "Z":
                alive.append(int(entry))
    return alive


def start_as_foreground_job(command) -> subprocess.Popen:
    """Start the command in its own process group with SIGINT at its default, as a terminal's foreground job has it.
    A suite started in the background (`make test &`, nohup, some CI runners) inherits an ignored SIGINT, which
    exec keeps: Python would then install no KeyboardInterrupt handler and the run would not see Ctrl-C at all.
    A Python handler in this process becomes the default in the child at exec."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        return subprocess.Popen(command, cwd=ROOT, env=batch_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, start_new_session=True)
    finally:
        signal.signal(signal.SIGINT, previous)


def test_ctrl_c_stops_cleanly_and_the_same_command_resumes(mosaic, bright_model, tmp_path):
    output = tmp_path / "city.gpkg"
    units = tmp_path / "city_batch" / "units"
    command = [sys.executable, "-m", "building_area_plugin.batch", mosaic, "-o", str(output), "--workers", "2",
               "--segmentation-model", bright_model, "--no-detect", "--window", "64", "--margin", "16",
               "--no-dashboard", "--no-progress", "--json"]
    run = start_as_foreground_job(command)  # Ctrl-C then reaches the client and its workers alike
    try:
        deadline = time.monotonic() + WAIT_S
        while len(glob.glob(str(units / "*.json"))) < 2 and run.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert run.poll() is None, run.communicate()[1]
        os.killpg(run.pid, signal.SIGINT)
        _, err = run.communicate(timeout=WAIT_S)
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
    assert run.returncode == 130, err
    assert "run the same command again" in err and "Traceback" not in err
    assert not output.exists()  # outputs appear only when a run completes
    deadline = time.monotonic() + WAIT_S
    while live_processes(run.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not live_processes(run.pid)  # the local cluster's workers are gone too
    finished = len(glob.glob(str(units / "*.json")))
    assert 2 <= finished < 36

    again = subprocess.run(command, cwd=ROOT, env=batch_env(), capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    summary = json.loads(again.stdout)
    assert summary["units"]["skipped"] >= finished and summary["units"]["run"] == 36 - summary["units"]["skipped"]
    assert not [name for name in os.listdir(units) if name.startswith(".")]
    single = run_batch(batch_params([mosaic], tmp_path / "single.gpkg", bright_model, window_px=64, margin_px=16))
    assert read_buildings(output) == read_buildings(single.output_path), \
        unit_differences(str(units), str(tmp_path / "single_batch" / "units"))
