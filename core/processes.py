"""Pool workers that end with the process that started them.

A `ProcessPoolExecutor` worker waits on its job queue, whose pipe it holds both ends of, so it
never sees the end of that pipe: when the server is killed (SIGKILL, the OOM killer, a crash)
its face and proof workers would go on running, each with its models loaded (about 200 MB),
and every restart would add more. Each worker therefore watches its parent's sentinel, which
becomes ready when the parent is gone, and leaves then.
"""

import multiprocessing
import multiprocessing.connection
import os
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing.context import BaseContext


def worker_pool(
    workers: int, context: BaseContext, initializer: Callable[[], None] | None = None
) -> ProcessPoolExecutor:
    """A process pool whose workers end with this process, then run `initializer`."""
    return ProcessPoolExecutor(
        workers, mp_context=context, initializer=start_worker, initargs=(initializer,)
    )


def start_worker(then: Callable[[], None] | None = None) -> None:
    """A pool's initializer: end with the parent, then run the pool's own initializer."""
    exit_with_parent()
    if then is not None:
        then()


def exit_with_parent() -> None:
    """In a child process: leave at once when the parent process is gone."""
    parent = multiprocessing.parent_process()
    if parent is None:  # not a multiprocessing child: nothing to watch
        return
    watcher = threading.Thread(
        target=_exit_when_ready, args=(parent.sentinel,), name="exit-with-parent", daemon=True
    )
    watcher.start()


def _exit_when_ready(sentinel: int) -> None:
    multiprocessing.connection.wait([sentinel])
    # No clean shutdown: the job queue and its feeder belong to the parent that is gone.
    os._exit(0)
