"""Units on Dask: an embedded LocalCluster sized to the machine (no set-up, offline), or an existing cluster.

Sizing. Each worker is a process with one thread (one unit at a time), and onnxruntime runs
each model with cores / workers intra-op threads, so the cores are used once: units in parallel
scale almost perfectly (they share nothing), while onnxruntime's own threads do not quite, and the
non-model part of a unit (vectorizing, measuring) runs on one thread (docs/BENCHMARKS.md). The
number of workers is bounded by memory (WORKER_MEMORY_BYTES each) and by the units to run. On an
existing cluster, each worker's onnxruntime threads are its host's cores over all worker threads on
that host.

Resilience. A unit's expected failures come back as failed records; an unexpected error is retried
(``retries``); a worker that dies has its units run again elsewhere by the scheduler (up to
``distributed.scheduler.allowed-failures`` times); a unit never leaves partial files (unit.py).
"""
import contextlib
import logging
import platform
import signal
import time
from collections import defaultdict
from dataclasses import dataclass, replace
from typing import Callable, Dict, Iterator, List, Optional

from distributed import Client, LocalCluster, as_completed

from ..core.errors import BuildingAreaError, CancelledError, one_line
from .messages import interrupted_message, unit_error_message
from .params import STATUS_FAILED, BatchParams, Unit, UnitJob, UnitRecord
from .unit import available_cores, read_record, run_unit

WORKER_MEMORY_BYTES = 1536 * 1024 * 1024  # a worker's interpreter, GDAL, onnxruntime and models: ~0.6 GB measured
POLL_S = 0.2                              # how often cancellation is checked while units run
CLOSE_TIMEOUT_S = 20


@dataclass(frozen=True)
class Sizing:
    workers: int
    threads_per_worker: int
    ort_threads: int


def total_memory_bytes() -> int:
    try:
        import psutil  # a dependency of distributed

        return int(psutil.virtual_memory().total)
    except (ImportError, OSError):
        return 0


def local_sizing(units: int, workers: Optional[int] = None, threads_per_worker: Optional[int] = None,
                 ort_threads: Optional[int] = None, cores: Optional[int] = None,
                 memory_bytes: Optional[int] = None) -> Sizing:
    """Workers x threads x onnxruntime threads for the local cluster: the cores used once, not oversubscribed."""
    cores = cores or available_cores()
    memory_bytes = total_memory_bytes() if memory_bytes is None else memory_bytes
    threads = threads_per_worker or 1
    if not workers:
        by_memory = max(1, memory_bytes // WORKER_MEMORY_BYTES) if memory_bytes else cores
        workers = max(1, min(cores // threads or 1, by_memory, max(1, units)))
    ort = ort_threads or max(1, cores // (workers * threads))
    return Sizing(workers, threads, ort)


def bad_scheduler_message(address: str, reason: str) -> str:
    return (f"Cannot reach the Dask scheduler at {address} ({reason}): start it (dask scheduler) and its workers "
            f"(dask worker {address}), or leave out --scheduler to run on this machine.")


def worker_import_message(reason: str) -> str:
    return (f"The Dask workers cannot run the plugin's code ({reason}): start each worker with this checkout on its "
            f"PYTHONPATH and the plugin's runtime packages installed (the same venv), e.g. PYTHONPATH=/path/to/"
            f"building-area dask worker tcp://scheduler:8786.")


@contextlib.contextmanager
def _workers_ignore_ctrl_c() -> Iterator[None]:
    """Start the local workers with Ctrl-C ignored: the terminal sends it to every process of the command, and the
    client alone should stop (and close the cluster cleanly), not each worker with a traceback. Processes inherit
    an ignored SIGINT; only the main thread can change it (inside QGIS the run's thread is not: nothing to do)."""
    try:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


class DaskExecutor:
    """Runs units on Dask; a context manager owning the local cluster (or only the client of an existing one)."""

    def __init__(self, params: BatchParams, pending_units: int, log: Callable[[str], None]):
        self.params = params
        self.log = log
        self.cluster = None
        self.client = None
        self.sizing: Optional[Sizing] = None
        self.dashboard: str = ""
        self.scheduler: str = ""
        self._pending = pending_units

    def __enter__(self) -> "DaskExecutor":
        params = self.params
        if params.scheduler:
            try:
                self.client = Client(params.scheduler, timeout="20s")
            except (OSError, TimeoutError) as error:
                raise BuildingAreaError(bad_scheduler_message(params.scheduler, one_line(error))) from None
        else:
            self.sizing = local_sizing(self._pending, params.workers, params.threads_per_worker, params.ort_threads)
            with _workers_ignore_ctrl_c():
                self.cluster = LocalCluster(
                    n_workers=self.sizing.workers, threads_per_worker=self.sizing.threads_per_worker,
                    processes=True, host="127.0.0.1", dashboard_address=params.dashboard_address,
                    # Units report their own failures; the workers' logs would only add the noise of a shutdown
                    # (a heartbeat that found the scheduler gone) after Ctrl-C.
                    silence_logs=logging.CRITICAL)
            self.client = Client(self.cluster)
        self.scheduler = self.client.scheduler.address
        services = (self.client.scheduler_info(n_workers=0) or {}).get("services", {})
        if "dashboard" in services and (params.scheduler or params.dashboard_address):
            self.dashboard = self.client.dashboard_link or ""
        return self

    def __exit__(self, *exc_info) -> None:
        try:
            if self.client is not None:
                self.client.close(timeout=CLOSE_TIMEOUT_S)
        finally:
            if self.cluster is not None:
                self.cluster.close(timeout=CLOSE_TIMEOUT_S)
            self.client = self.cluster = None

    def worker_summary(self) -> Dict[str, object]:
        info = self.client.scheduler_info(n_workers=-1) if self.client is not None else {}
        workers = info.get("workers", {}) if info else {}
        return {"workers": len(workers), "threads": sum(w.get("nthreads", 0) for w in workers.values())}

    def _ort_threads_by_host(self) -> Dict[str, int]:
        """On each host, its cores over all worker threads there (the local cluster's sizing decides locally)."""
        if self.sizing is not None:
            return {}
        cores = self.client.run(available_cores)
        hosts = self.client.run(platform.node)
        info = self.client.scheduler_info(n_workers=-1)["workers"]
        threads: Dict[str, int] = defaultdict(int)
        host_cores: Dict[str, int] = {}
        for address, worker in info.items():
            host = hosts.get(address)
            if host is None:
                continue
            threads[host] += worker.get("nthreads", 1)
            host_cores[host] = cores.get(address, 1)
        return {host: max(1, host_cores[host] // max(1, threads[host])) for host in threads}

    def run(self, units: List[Unit], job: UnitJob, on_record: Callable[[UnitRecord], None],
            is_cancelled: Callable[[], bool]) -> None:
        """Submit every unit, report each record as it comes; CancelledError when is_cancelled() turns true."""
        if self.sizing is not None:
            job = replace(job, ort_threads=self.params.ort_threads or self.sizing.ort_threads)
        else:
            job = replace(job, ort_threads=self.params.ort_threads, ort_threads_by_host=self._ort_threads_by_host())
        futures = {}
        for unit in units:
            future = self.client.submit(run_unit, unit, job, key=f"building-area-unit-{unit.unit_id}",
                                        retries=self.params.retries, pure=False)
            futures[future.key] = (future, unit)
        queue = as_completed([future for future, _ in futures.values()])
        try:
            while not queue.is_empty():
                if is_cancelled():
                    raise CancelledError(interrupted_message(len(units) - queue.count(), len(units)))
                if not queue.has_ready():
                    time.sleep(POLL_S)
                    continue
                for future in queue.next_batch(block=False):
                    record = self._record(future, futures[future.key][1], job.units_dir)
                    if record is None:
                        queue.add(future)  # recomputed by the scheduler: wait for it again
                    else:
                        on_record(record)
        finally:
            pending = [future for future, _ in futures.values() if not future.done()]
            if pending:
                self.client.cancel(pending, force=True)

    def _record(self, future, unit: Unit, units_dir: str) -> Optional[UnitRecord]:
        """The unit's record; None when its result was lost with a worker and Dask computes it again."""
        if future.status == "finished":
            return UnitRecord.from_dict(future.result())
        # A worker that died after finishing the unit loses its result ("lost"), not the unit's files: they
        # are the truth (the client sees the output folder, where the merge reads them).
        record = read_record(units_dir, unit.unit_id)
        if record is not None:
            return record
        if future.status in ("lost", "pending"):
            return None
        try:
            error = future.exception(timeout=CLOSE_TIMEOUT_S)
        except Exception as exc:  # a cancelled future raises instead of returning its exception
            error = exc
        if isinstance(error, ImportError) and "building_area_plugin" in str(error):
            raise BuildingAreaError(worker_import_message(one_line(error)))
        return UnitRecord(unit_id=unit.unit_id, raster=unit.raster, status=STATUS_FAILED,
                          reason=unit_error_message(type(error).__name__, one_line(error)), planned_m2=unit.planned_m2)
