"""What the tests read of other processes from /proc (Linux): their state and parent."""

from pathlib import Path

PROC = Path("/proc")


def state_and_parent(pid: int) -> tuple[str, int] | None:
    """The process's state letter and parent pid; None once it is gone."""
    try:
        stat = (PROC / str(pid) / "stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    # The name, in parentheses, may hold spaces: the fields after it are fixed.
    state, parent = stat.rsplit(")", 1)[1].split()[:2]
    return state, int(parent)


DEAD = ("Z", "X")  # a zombie until it is reaped, then gone


def alive(pid: int) -> bool:
    """Whether the process runs (a dead one may stay a zombie until it is reaped)."""
    found = state_and_parent(pid)
    return found is not None and found[0] not in DEAD


def children_of(pid: int) -> set[int]:
    """The live processes whose parent is pid."""
    children = set()
    for entry in PROC.iterdir():
        found = state_and_parent(int(entry.name)) if entry.name.isdigit() else None
        if found is not None and found[1] == pid and found[0] not in DEAD:
            children.add(int(entry.name))
    return children
