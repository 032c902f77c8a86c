"""Run provider requests on a few daemon threads until a deadline.

``concurrent.futures.ThreadPoolExecutor`` joins its threads when the interpreter exits,
so a request still waiting on a silent service would keep the lookup process alive until
that request's own timeout, after the output is written. Daemon threads do not delay the
exit, and a caller that reaches its deadline stops waiting for them.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Hashable, Sequence
from typing import TypeVar

logger = logging.getLogger(__name__)

Job = TypeVar("Job")
Result = TypeVar("Result")


def run_until(
    jobs: Sequence[Job],
    handle: Callable[[Job], Result],
    fail: Callable[[Job, str], Result],
    workers: int,
    deadline: float,
    lane: Callable[[Job], Hashable] | None = None,
) -> list[Result]:
    """Return one result per job, in job order, by the monotonic time ``deadline``.

    ``lane`` sorts jobs into lanes (one per provider, say), and each lane runs its jobs
    in order on up to ``workers`` threads of its own, so a slow lane never holds up the
    others. Without ``lane`` all jobs share one lane. A job not finished at the deadline
    gets ``fail(job, "timeout")``, and one whose ``handle`` raised gets
    ``fail(job, "error")``. Workers take no new job once the deadline has passed.
    """
    if not jobs:
        return []
    lanes: dict[Hashable, queue.Queue] = {}
    for index, job in enumerate(jobs):
        key = lane(job) if lane is not None else None
        lanes.setdefault(key, queue.Queue()).put(index)
    results: dict[int, Result] = {}
    lock = threading.Lock()

    def work(pending: queue.Queue) -> None:
        while time.monotonic() < deadline:
            try:
                index = pending.get_nowait()
            except queue.Empty:
                return
            try:
                result = handle(jobs[index])
            except Exception:  # a worker must survive any one job's failure
                logger.exception("request for job %d failed unexpectedly", index)
                result = fail(jobs[index], "error")
            with lock:
                results[index] = result

    threads = []
    for number, pending in enumerate(lanes.values()):
        for n in range(max(1, min(workers, pending.qsize()))):
            name = f"llmjack-online-{number}-{n}"
            threads.append(threading.Thread(target=work, args=(pending,), name=name, daemon=True))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))

    with lock:
        finished = dict(results)
    return [
        finished[index] if index in finished else fail(jobs[index], "timeout")
        for index in range(len(jobs))
    ]
