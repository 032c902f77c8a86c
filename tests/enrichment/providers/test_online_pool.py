"""The daemon-thread pool that runs provider requests until a deadline."""

from __future__ import annotations

import threading
import time

from llmjack_enrichment.providers.pool import run_until


def fail(job: int, status: str) -> str:
    return f"{status}:{job}"


def test_results_in_job_order():
    results = run_until([3, 1, 2], lambda job: f"ok:{job}", fail, 2, time.monotonic() + 30)
    assert results == ["ok:3", "ok:1", "ok:2"]


def test_raising_job_fails_alone(caplog):
    def handle(job: int) -> str:
        if job == 2:
            raise RuntimeError("provider bug")
        return f"ok:{job}"

    results = run_until([1, 2, 3], handle, fail, 1, time.monotonic() + 30)
    assert results == ["ok:1", "error:2", "ok:3"]
    assert "provider bug" in caplog.text


def test_unfinished_jobs_time_out():
    release = threading.Event()

    def handle(job: int) -> str:
        if job == 1:
            release.wait(30)
        return f"ok:{job}"

    try:
        results = run_until([1, 2, 3], handle, fail, 1, time.monotonic() + 0.3)
        assert not release.is_set()
    finally:
        release.set()
    assert results == ["timeout:1", "timeout:2", "timeout:3"]


def test_no_jobs_no_results():
    assert run_until([], lambda job: job, fail, 4, time.monotonic() + 1) == []


def test_lanes_run_side_by_side():
    release = threading.Event()

    def handle(job: str) -> str:
        if job.startswith("slow"):
            release.wait(30)
        return f"ok:{job}"

    jobs = ["slow-1", "slow-2", "fast-1", "fast-2", "fast-3"]
    try:
        results = run_until(
            jobs, handle, fail, 1, time.monotonic() + 0.5, lane=lambda job: job.split("-")[0]
        )
        assert not release.is_set()
    finally:
        release.set()
    assert results == ["timeout:slow-1", "timeout:slow-2", "ok:fast-1", "ok:fast-2", "ok:fast-3"]


def test_lane_threads_capped_by_workers():
    lock = threading.Lock()
    running: dict[str, int] = {"a": 0, "b": 0}
    peaks: dict[str, int] = {"a": 0, "b": 0}

    def handle(job: str) -> str:
        with lock:
            running[job[0]] += 1
            peaks[job[0]] = max(peaks[job[0]], running[job[0]])
        time.sleep(0.01)
        with lock:
            running[job[0]] -= 1
        return job

    jobs = [f"{lane}{n}" for lane in "ab" for n in range(12)]
    results = run_until(jobs, handle, fail, 3, time.monotonic() + 30, lane=lambda job: job[0])
    assert results == jobs
    assert 1 <= peaks["a"] <= 3
    assert 1 <= peaks["b"] <= 3
