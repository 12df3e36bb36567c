"""Functions the pool tests run in worker processes (importable by spawned workers)."""

import os
import time

from checkin.errors import NoFaceFoundError


def slow_square(value: int, seconds: float = 0.4) -> int:
    time.sleep(seconds)
    return value * value


def pid() -> int:
    return os.getpid()


def refuse() -> None:
    raise NoFaceFoundError("No face was found in the photo", field="photo")


def crash() -> None:
    os._exit(3)  # a worker dying, as dlib would on a segfault
