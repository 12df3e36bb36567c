"""The face photos the check-in tests read: ../shared/faces next to the repository, or the
folder named by HOP_TEST_FACES. Nothing here reads a file at import: a missing folder fails
the tests that need it (the `faces` fixture), never the collection, never a silent skip."""

import os
from dataclasses import dataclass
from pathlib import Path

from checkin.engine import EnrolmentFace

FACES = Path(
    os.environ.get("HOP_TEST_FACES")
    or Path(__file__).resolve().parent.parent.parent / "shared" / "faces"
)
PEOPLE = FACES / "people"
PROBES = FACES / "probes"
VIDEO = FACES / "video" / "short_hamilton_clip.mp4"

# Who is in each probe photo, from the fixtures' README (two_people.jpg: see test_matching).
PROBE_IDENTITIES: dict[str, set[str]] = {
    "alex_lacamoire1.jpg": {"alex_lacamoire"},
    "johnsnow_test1.jpg": {"kit_harington"},
    "obama1.jpg": {"obama"},
    "obama3.jpg": {"obama"},
    "obama-240p.jpg": {"obama"},
    "obama-480p.jpg": {"obama"},
    "obama-720p.jpg": {"obama"},
    "obama_partial_face.jpg": {"obama"},
    "32bit.png": {"obama"},
    "kit_with_rose.jpg": {"kit_harington", "rose_leslie"},
    "obama_and_biden.jpg": {"obama", "biden"},
}


@dataclass(frozen=True)
class EnrolledPhoto:
    person: str
    path: Path
    face: EnrolmentFace


def missing_faces() -> str | None:
    """Why the face photos cannot be used, or None when they are all there."""
    missing = [str(path) for path in (PEOPLE, PROBES, VIDEO) if not path.exists()]
    if not missing:
        return None
    return (
        f"shared/faces is missing: {', '.join(missing)}. The face tests read the real photos "
        f"from {FACES} (../shared/faces next to the repository, or HOP_TEST_FACES)."
    )
