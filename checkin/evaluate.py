"""`hop eval-faces DIR`: how the decision rule does on an operator's own labelled photos.

DIR holds one sub-folder of photos per person. The first K usable photos of each person are
enrolled (K = 1 and K = 2 unless --enrol K picks one); every third person (sorted by folder
name: the 3rd, 6th, ...) is kept out of the gallery and stands for unknown visitors; every
other photo is sent through the kiosk's single-frame decision rule, in file order. Each K is
reported twice: with the enrolled gallery only, and with templates that learn
(checkin.learning): a probe not accepted by face is confirmed by a second factor (a tap in
the grey zone, else the desk: simulated by its known label) and, if the learning rules allow
it, its face is added before the next probe is decided. Also reported: pairwise true and
false accept rates (all photo pairs) for thresholds from 0.40 to 0.60, and every photo that
was rejected, with why. The last line printed is one JSON object.
"""

import functools
import json
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from checkin import engine, learning
from checkin.engine import MIN_ENROL_FACE_PX, MIN_ENROL_SHARPNESS, Embeddings
from checkin.errors import MultipleFacesError, NoFaceFoundError
from checkin.learning import Confirmation, Sighting
from checkin.matching import Gallery, Match, Thresholds, Verdict, distances, match_faces
from checkin.pool import FacePool
from core.errors import HopError
from core.images import PHOTO_SUFFIXES as IMAGE_SUFFIXES

PAIRWISE_THRESHOLDS = tuple(round(0.40 + 0.02 * step, 2) for step in range(11))
DEFAULT_ENROL = (1, 2)


@dataclass(frozen=True)
class Photo:
    person: str
    path: Path

    @property
    def label(self) -> str:
        return f"{self.person}/{self.path.name}"


@dataclass(frozen=True)
class PhotoFace:
    """A photo's single face: its embedding, size and sharpness (a pool job's answer)."""

    embedding: Embeddings = field(repr=False)
    face_px: int
    sharpness: float


@dataclass(frozen=True)
class EvalOptions:
    """What `hop eval-faces` was asked (its options are described in cli.faces)."""

    folder: Path
    enrol: tuple[int, ...] = DEFAULT_ENROL
    thresholds: Thresholds = Thresholds()
    workers: int = 0


@dataclass
class Outcome:
    """What happened to the probes of one run."""

    genuine: int = 0
    identified: int = 0
    misidentified: int = 0
    genuine_grey: int = 0
    rejected: int = 0
    impostors: int = 0
    impostor_accepted: int = 0
    impostor_grey: int = 0
    learned: int = 0

    def as_dict(self) -> dict[str, Any]:
        rate = self.identified / self.genuine if self.genuine else 0.0
        return {**asdict(self), "identified_rate": round(rate, 4)}


@dataclass(frozen=True)
class Plan:
    """Who is enrolled with which photos, and the probes in the order they are decided."""

    held_out: list[str]
    enrolled: dict[str, list[Photo]]
    genuine: dict[str, list[Photo]]
    impostors: list[Photo]
    not_enrolled: list[tuple[Photo, str]]  # photos the enrolment gate refused (still probes)


def photo_face(data: bytes) -> PhotoFace:
    """The photo's single face (a pool job); a photo with none or several is refused."""
    image = engine.decode_image(data)
    analysis = engine.analyse_image(image, engine.FrameOptions(detect=engine.PHOTO_DETECTION))
    faces = [face for face in analysis.faces if face.embedding is not None]
    if not faces:
        raise NoFaceFoundError("no face found")
    if len(faces) > 1:
        raise MultipleFacesError(f"{len(faces)} faces: which one is the person is unknown")
    face = faces[0]
    assert face.embedding is not None
    return PhotoFace(face.embedding, face.box.size, engine.sharpness(image, face.box))


def collect(folder: Path) -> dict[str, list[Photo]]:
    """The photos of each person (sub-folder), sorted by file name."""
    people: dict[str, list[Photo]] = {}
    for sub in sorted(p for p in folder.iterdir() if p.is_dir()):
        photos = [
            Photo(sub.name, path)
            for path in sorted(sub.iterdir())
            if path.suffix.lower() in IMAGE_SUFFIXES
        ]
        if photos:
            people[sub.name] = photos
    return people


def analyse_all(
    photos: list[Photo], workers: int, progress: Callable[[int, int], None]
) -> tuple[dict[Photo, PhotoFace], list[tuple[Photo, str]]]:
    """Every photo's face, in a process pool (workers=0: in this process); the rejected."""
    found: dict[Photo, PhotoFace] = {}
    rejected: list[tuple[Photo, str]] = []
    for done, (photo, result) in enumerate(_analyses(photos, workers), start=1):
        if isinstance(result, str):
            rejected.append((photo, result))
        else:
            found[photo] = result
        progress(done, len(photos))
    return found, rejected


def _analyses(photos: list[Photo], workers: int) -> Iterable[tuple[Photo, PhotoFace | str]]:
    if workers <= 0:
        for photo in photos:
            yield photo, _guarded(functools.partial(_analyse_file, photo.path))
        return
    with FacePool(workers=workers, max_pending=len(photos) + 1) as pool:
        futures = [(p, pool.submit(photo_face, p.path.read_bytes())) for p in photos]
        for photo, future in futures:
            yield photo, _guarded(future.result)


def _analyse_file(path: Path) -> PhotoFace:
    return photo_face(path.read_bytes())


def _guarded(compute: Callable[[], PhotoFace]) -> PhotoFace | str:
    try:
        return compute()
    except HopError as error:
        return error.detail
    except OSError as error:
        return f"unreadable: {error.strerror or error}"


def enrol_refusal(face: PhotoFace) -> str | None:
    """Why the enrolment gate (checkin.engine's) would refuse this face; None: enrollable."""
    if face.face_px < MIN_ENROL_FACE_PX:
        return f"too small to enrol ({face.face_px} px, at least {MIN_ENROL_FACE_PX})"
    if face.sharpness < MIN_ENROL_SHARPNESS:
        return f"too blurry to enrol (sharpness {face.sharpness:.0f})"
    return None


def plan(people: dict[str, list[Photo]], faces: dict[Photo, PhotoFace], enrol: int) -> Plan:
    """Held-out people, each person's first `enrol` enrollable photos, and the probes."""
    names = sorted(people)
    held_out = names[2::3]
    enrolled: dict[str, list[Photo]] = {}
    genuine: dict[str, list[Photo]] = {}
    refused: list[tuple[Photo, str]] = []
    for name in names:
        if name in held_out:
            continue
        usable = [photo for photo in people[name] if photo in faces]
        chosen: list[Photo] = []
        for photo in usable:
            reason = enrol_refusal(faces[photo]) if len(chosen) < enrol else None
            if reason is not None:
                refused.append((photo, reason))
            elif len(chosen) < enrol:
                chosen.append(photo)
        enrolled[name] = chosen
        genuine[name] = [photo for photo in usable if photo not in chosen]
    impostors = [p for name in held_out for p in people[name] if p in faces]
    return Plan(held_out, enrolled, genuine, impostors, refused)


class Templates:
    """A simulated gallery: enrolled templates per person, and the learned ones (bounded)."""

    def __init__(self, faces: dict[Photo, PhotoFace], enrolled: dict[str, list[Photo]]) -> None:
        self.names = sorted(enrolled)
        self.enrolled = {name: [faces[p].embedding for p in enrolled[name]] for name in enrolled}
        self.learned: dict[str, list[Embeddings]] = {name: [] for name in enrolled}

    def rows(self, name: str) -> list[Embeddings]:
        return self.enrolled[name] + self.learned[name]

    def gallery(self) -> Gallery:
        ids = [i for i, name in enumerate(self.names) for _ in self.rows(name)]
        if not ids:
            return Gallery.empty()
        return Gallery.build(ids, np.stack([row for n in self.names for row in self.rows(n)]))

    def around(self, name: str) -> tuple[Embeddings, Embeddings]:
        """The person's templates and everyone else's."""
        others = [row for other in self.names if other != name for row in self.rows(other)]
        return _matrix(self.rows(name)), _matrix(others)

    def learn(self, name: str, embedding: Embeddings) -> None:
        """Add a learned template; the oldest learned go first past the bound."""
        drop = learning.learned_to_drop(list(range(len(self.learned[name]))))
        self.learned[name] = [e for i, e in enumerate(self.learned[name]) if i not in drop]
        self.learned[name].append(embedding)


def _matrix(rows: Sequence[Embeddings]) -> Embeddings:
    return np.stack(rows).astype(np.float32) if rows else learning.no_templates()


def decide(
    templates: Templates, face: PhotoFace, thresholds: Thresholds
) -> tuple[Match, str | None]:
    """One probe through the kiosk's single-frame rule; the nearest person's folder name."""
    match = match_faces(templates.gallery(), face.embedding[None, :], thresholds)[0]
    best = templates.names[match.candidates[0].person_id] if match.candidates else None
    return match, best


def simulate(
    faces: dict[Photo, PhotoFace], plan: Plan, thresholds: Thresholds, *, learn: bool
) -> Outcome:
    """Decide every genuine probe in order (learning, if asked, before the next one), then
    the strangers against the gallery as it ended up."""
    templates = Templates(faces, plan.enrolled)
    outcome = Outcome()
    for name, probes in plan.genuine.items():
        for photo in probes:
            match, best = decide(templates, faces[photo], thresholds)
            _count_genuine(outcome, match, correct=best == name)
            if learn and match.verdict != Verdict.accept:
                outcome.learned += _confirm(templates, name, faces[photo], match)
    for photo in plan.impostors:
        match, _ = decide(templates, faces[photo], thresholds)
        outcome.impostors += 1
        outcome.impostor_accepted += int(match.verdict == Verdict.accept)
        outcome.impostor_grey += int(match.verdict == Verdict.grey)
    return outcome


def _confirm(templates: Templates, name: str, face: PhotoFace, match: Match) -> int:
    """A face not accepted is confirmed by a second factor: a tap in the grey zone, else the
    desk; it is learned if checkin.learning's rules allow. 1 when it was."""
    confirmation = Confirmation.tap if match.verdict == Verdict.grey else Confirmation.desk
    sighting = Sighting(face.embedding, face.face_px, face.sharpness, at=0.0)
    own, others = templates.around(name)
    refused = learning.refusal(
        confirmation=confirmation, sighting=sighting, at=0.0, own=own, others=others
    )
    if refused is not None:
        return 0
    templates.learn(name, face.embedding)
    return 1


def _count_genuine(outcome: Outcome, match: Match, *, correct: bool) -> None:
    outcome.genuine += 1
    if match.verdict == Verdict.accept:
        outcome.identified += int(correct)
        outcome.misidentified += int(not correct)
    elif match.verdict == Verdict.grey:
        outcome.genuine_grey += 1
    else:
        outcome.rejected += 1


def pairwise(faces: dict[Photo, PhotoFace]) -> tuple[list[dict[str, float]], int, int]:
    """True and false accept rates over every pair of photos, per threshold."""
    photos = list(faces)
    if len(photos) < 2:
        return [], 0, 0
    matrix = np.stack([faces[p].embedding for p in photos])
    every = distances(matrix, matrix)
    labels = np.array([p.person for p in photos])
    upper = np.triu_indices(len(photos), k=1)
    pair_distances = every[upper]
    same = labels[upper[0]] == labels[upper[1]]
    rows = [
        {
            "threshold": t,
            "tar": _rate(pair_distances[same] < t),
            "far": _rate(pair_distances[~same] < t),
        }
        for t in PAIRWISE_THRESHOLDS
    ]
    return rows, int(same.sum()), int((~same).sum())


def _rate(hits: np.ndarray[Any, Any]) -> float:
    return round(float(hits.mean()), 4) if hits.size else 0.0


@dataclass(frozen=True)
class Run:
    enrol: int
    plan: Plan
    without: Outcome
    learning: Outcome

    def as_dict(self) -> dict[str, Any]:
        return {
            "enrol": self.enrol,
            "held_out": self.plan.held_out,
            "without_learning": self.without.as_dict(),
            "with_learning": self.learning.as_dict(),
            "not_enrolled": [
                {"photo": p.label, "reason": why} for p, why in self.plan.not_enrolled
            ],
        }


def evaluate(
    people: dict[str, list[Photo]], faces: dict[Photo, PhotoFace], options: EvalOptions
) -> list[Run]:
    """One run per K: the enrolled gallery alone, and with learning."""
    runs = []
    for enrol in options.enrol:
        chosen = plan(people, faces, enrol)
        without = simulate(faces, chosen, options.thresholds, learn=False)
        learned = simulate(faces, chosen, options.thresholds, learn=True)
        runs.append(Run(enrol, chosen, without, learned))
    return runs


def summary(
    options: EvalOptions,
    runs: list[Run],
    pairs: list[dict[str, float]],
    rejected: list[tuple[Photo, str]],
) -> dict[str, Any]:
    """The JSON line."""
    thresholds = options.thresholds
    return {
        "threshold": thresholds.accept,
        "margin": thresholds.margin,
        "grey_threshold": thresholds.grey,
        "runs": [run.as_dict() for run in runs],
        "rejected": [{"photo": p.label, "reason": why} for p, why in rejected],
        "pairwise": pairs,
    }


ROWS = (
    ("genuine probes", "genuine"),
    ("  identified correctly", "identified"),
    ("  identified as someone else", "misidentified"),
    ("  grey zone (asked to tap)", "genuine_grey"),
    ("  rejected (unknown)", "rejected"),
    ("strangers (held-out people)", "impostors"),
    ("  accepted as someone", "impostor_accepted"),
    ("  grey zone", "impostor_grey"),
    ("templates learned", "learned"),
)
SHARED = {"identified", "misidentified", "genuine_grey", "rejected"}  # shares of genuine


def report_run(out: TextIO, run: Run) -> None:
    """One K's table: without and with learning side by side."""
    print(f"\nEnrolled: {run.enrol} photo(s) per person", file=out)
    print(f"{'':<32}{'without learning':>20}{'with learning':>20}", file=out)
    for label, key in ROWS:
        cells = [_cell(outcome, key) for outcome in (run.without, run.learning)]
        print(f"{label:<32}{cells[0]:>20}{cells[1]:>20}", file=out)
    for photo, reason in run.plan.not_enrolled:
        print(f"not enrolled {photo.label}: {reason} (used as a probe)", file=out)


def _cell(outcome: Outcome, key: str) -> str:
    count = int(getattr(outcome, key))
    if key in SHARED and outcome.genuine:
        return f"{count} ({100 * count / outcome.genuine:.1f}%)"
    return str(count)


def report(
    out: TextIO,
    options: EvalOptions,
    runs: list[Run],
    pairs: tuple[list[dict[str, float]], int, int],
    rejected: list[tuple[Photo, str]],
) -> None:
    """The human-readable tables."""
    thresholds = options.thresholds
    print(
        f"Decision rule: accept under {thresholds.accept:.2f} with a margin of "
        f"{thresholds.margin:.2f} to the second person; grey zone under {thresholds.grey:.2f}",
        file=out,
    )
    held_out = runs[0].plan.held_out if runs else []
    print(f"Held out as unknown visitors: {', '.join(held_out) or '-'}", file=out)
    for run in runs:
        report_run(out, run)
    rows, n_same, n_diff = pairs
    print(f"\npairwise ({n_same} same-person pairs, {n_diff} different-person pairs)", file=out)
    print(f"{'threshold':>10}{'TAR':>9}{'FAR':>9}", file=out)
    for row in rows:
        print(f"{row['threshold']:>10.2f}{row['tar']:>9.3f}{row['far']:>9.4f}", file=out)
    print(f"\nrejected photos: {len(rejected)}", file=out)
    for photo, reason in rejected:
        print(f"rejected {photo.label}: {reason}", file=out)


def run(options: EvalOptions, out: TextIO | None = None) -> int:
    """Run the evaluation; 0 on success, 2 when the folder cannot be evaluated."""
    out = out or sys.stdout
    if not options.folder.is_dir() or not options.enrol or min(options.enrol) < 1:
        print(f"eval-faces: {options.folder} is not a folder (or --enrol < 1)", file=sys.stderr)
        return 2
    people = collect(options.folder)
    photos = [photo for group in people.values() for photo in group]
    faces, rejected = analyse_all(photos, options.workers, _progress)
    runs = evaluate(people, faces, options)
    pairs = pairwise(faces)
    report(out, options, runs, pairs, rejected)
    print(json.dumps(summary(options, runs, pairs[0], rejected), ensure_ascii=False), file=out)
    return 0


def _progress(done: int, total: int) -> None:
    sys.stderr.write(f"\ranalysed {done}/{total} photos")
    if done == total:
        sys.stderr.write("\n")
