"""1:N matching of face embeddings against a gallery, vectorised with numpy.

The decision rule, for each face on its own:
- accept   when the best person's distance is under `accept` AND the second-best *person*
           (not a second photo of the same person) is at least `margin` further away;
- grey     when the best distance is under `grey` (or under `accept` without the margin):
           the kiosk asks the person to confirm by tapping their name;
- unknown  otherwise: the secretariat checks the person in by hand.

Default thresholds, measured on ../shared/faces (docs/BENCHMARKS.md, `hop eval-faces`):
same-person distances of the still photos are 0.04-0.46 (0.52 between two enrolment photos),
a stage video of an enrolled person sits at 0.31-0.62, and the closest two different people
are 0.69 apart. dlib's customary 0.6 is a 1:1 threshold: in 1:N every enrolled invitee is a
chance for a false accept, and dlib's model is known to separate East Asian faces less well
(ageitgey/face_recognition#612) - so we accept only under 0.50, and ask for a tap up to 0.58.
"""

from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from checkin.engine import EMBEDDING_SIZE, Embeddings

DEFAULT_ACCEPT = 0.50
DEFAULT_MARGIN = 0.10
DEFAULT_GREY = 0.58
MAX_CANDIDATES = 3


class Verdict(StrEnum):
    accept = "accept"
    grey = "grey"
    unknown = "unknown"


@dataclass(frozen=True)
class Thresholds:
    accept: float = DEFAULT_ACCEPT
    margin: float = DEFAULT_MARGIN
    grey: float = DEFAULT_GREY

    def __post_init__(self) -> None:
        if not 0 < self.accept <= self.grey:
            raise ValueError("thresholds need 0 < accept <= grey")
        if self.margin < 0:
            raise ValueError("the margin cannot be negative")


@dataclass(frozen=True)
class Candidate:
    person_id: int
    distance: float


@dataclass(frozen=True)
class Match:
    """The decision for one face, with the nearest people (best first)."""

    verdict: Verdict
    candidates: tuple[Candidate, ...] = ()

    @property
    def person_id(self) -> int | None:
        """The accepted person, or the grey zone's best guess; None when unknown."""
        if self.verdict == Verdict.unknown or not self.candidates:
            return None
        return self.candidates[0].person_id

    @property
    def distance(self) -> float | None:
        return self.candidates[0].distance if self.candidates else None

    @property
    def margin(self) -> float:
        """How much further the second-best person is (infinite with a single person)."""
        if len(self.candidates) < 2:
            return float("inf")
        return self.candidates[1].distance - self.candidates[0].distance


UNKNOWN = Match(Verdict.unknown)


@dataclass(frozen=True)
class Gallery:
    """Embeddings sorted by person: one float32 matrix and the parallel person ids."""

    embeddings: Embeddings = field(repr=False)  # (n, 128)
    person_ids: npt.NDArray[np.int64]  # (n,), sorted
    people: npt.NDArray[np.int64]  # (p,) distinct person ids, sorted
    starts: npt.NDArray[np.intp]  # (p,) first row of each person

    @classmethod
    def build(
        cls, person_ids: list[int] | npt.NDArray[np.int64], embeddings: Embeddings
    ) -> "Gallery":
        """A gallery from rows in any order."""
        ids = np.asarray(person_ids, dtype=np.int64)
        matrix = np.asarray(embeddings, dtype=np.float32).reshape(len(ids), EMBEDDING_SIZE)
        order = np.argsort(ids, kind="stable")
        ids, matrix = ids[order], np.ascontiguousarray(matrix[order])
        people, starts = np.unique(ids, return_index=True)
        return cls(matrix, ids, people, starts.astype(np.intp))

    @classmethod
    def empty(cls) -> "Gallery":
        return cls.build([], np.empty((0, EMBEDDING_SIZE), dtype=np.float32))

    def __len__(self) -> int:
        return len(self.person_ids)

    def restricted_to(self, person_ids: set[int]) -> "Gallery":
        """Only these people's rows."""
        keep = np.isin(self.person_ids, np.fromiter(person_ids, dtype=np.int64))
        return Gallery.build(self.person_ids[keep], self.embeddings[keep])


def distances(probes: Embeddings, matrix: Embeddings) -> npt.NDArray[np.float32]:
    """Euclidean distances (k, n) between k probes and n rows, in one matrix product."""
    probes = np.asarray(probes, dtype=np.float32).reshape(-1, EMBEDDING_SIZE)
    squared = (
        np.einsum("ij,ij->i", probes, probes)[:, None]
        + np.einsum("ij,ij->i", matrix, matrix)[None, :]
        - 2.0 * probes @ matrix.T
    )
    return np.sqrt(np.maximum(squared, 0.0), dtype=np.float32)


def person_distances(gallery: Gallery, probes: Embeddings) -> npt.NDArray[np.float32]:
    """(k, p): for each probe, the distance to each person's nearest embedding."""
    every = distances(probes, gallery.embeddings)
    return np.minimum.reduceat(every, gallery.starts, axis=1)


def match_faces(
    gallery: Gallery, probes: Embeddings, thresholds: Thresholds = Thresholds()
) -> list[Match]:
    """The decision for each probe embedding (see the module docstring)."""
    probes = np.asarray(probes, dtype=np.float32).reshape(-1, EMBEDDING_SIZE)
    if len(gallery) == 0:
        return [UNKNOWN] * len(probes)
    per_person = person_distances(gallery, probes)
    return [_decide(row, gallery.people, thresholds) for row in per_person]


def _decide(
    row: npt.NDArray[np.float32], people: npt.NDArray[np.int64], thresholds: Thresholds
) -> Match:
    count = min(MAX_CANDIDATES, len(row))
    nearest = np.argpartition(row, count - 1)[:count]
    nearest = nearest[np.argsort(row[nearest], kind="stable")]
    candidates = tuple(Candidate(int(people[i]), float(row[i])) for i in nearest)
    match = Match(Verdict.unknown, candidates)
    if match.distance is not None and match.distance < thresholds.accept:
        if match.margin >= thresholds.margin:
            return Match(Verdict.accept, candidates)
    if match.distance is not None and match.distance < thresholds.grey:
        close = tuple(c for c in candidates if c.distance < thresholds.grey)
        return Match(Verdict.grey, close)
    return match
