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
from collections.abc import Callable, Sequence
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
) -> list[Result]:
    """Return one result per job, in job order, by the monotonic time ``deadline``.

    ``handle`` runs each job on one of ``workers`` threads. A job not finished at the
    deadline gets ``fail(job, "timeout")``, and one whose ``handle`` raised gets
    ``fail(job, "error")``. Workers take no new job once the deadline has passed.
    """
    if not jobs:
        return []
    pending: queue.Queue = queue.Queue()
    for index in range(len(jobs)):
        pending.put(index)
    results: dict[int, Result] = {}
    lock = threading.Lock()

    def work() -> None:
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

    threads = [
        threading.Thread(target=work, name=f"llmjack-online-{n}", daemon=True)
        for n in range(max(1, min(workers, len(jobs))))
    ]
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
