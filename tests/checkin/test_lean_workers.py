"""Face workers start lean: what a spawned worker imports loads no ORM (issue 12).

Each worker of the face pool is a fresh interpreter that imports checkin.engine (its job
functions and the initializer). SQLAlchemy and SQLModel cost ~0.4 s there and nothing in a
worker uses them. The import-linter contract checks the static imports; this checks what an
interpreter really loads, so an import hidden in a package's __init__ is caught too.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("sqlalchemy", "sqlmodel", "models", "fastapi")
PROBE = """
import json, sys
import {module}
print(json.dumps(sorted({{name.split(".")[0] for name in sys.modules}})))
"""


@pytest.mark.parametrize("module", ["checkin.engine", "checkin.pool", "core.errors"])
def test_face_worker_modules_load_no_orm(module: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(module=module)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    loaded = set(json.loads(done.stdout))
    assert module.split(".")[0] in loaded
    assert not loaded & set(HEAVY), f"{module} loads {sorted(loaded & set(HEAVY))}"
