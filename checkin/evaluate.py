"""`hop eval-faces DIR`: how the decision rule does on an operator's own labelled photos.

DIR holds one sub-folder of photos per person. The first K photos of each person are
enrolled (--enrol K); every third person (sorted by folder name: the 3rd, 6th, ...) is kept
out of the gallery and stands for unknown visitors; every other photo is sent through the
kiosk's single-frame decision rule. Also reported: pairwise true and false accept rates
(all photo pairs) for thresholds from 0.40 to 0.60. The last line printed is one JSON object.
"""

import argparse
import functools
import json
import os
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from checkin import engine
from checkin.engine import Embeddings
from checkin.matching import Gallery, Match, Thresholds, Verdict, distances, match_faces
from checkin.pool import FacePool
from core.errors import HopError

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png"})
PAIRWISE_THRESHOLDS = tuple(round(0.40 + 0.02 * step, 2) for step in range(11))


@dataclass(frozen=True)
class Photo:
    person: str
    path: Path


@dataclass
class Outcome:
    """What happened to the probes, and what could not be used."""

    genuine: int = 0
    identified: int = 0
    misidentified: int = 0
    genuine_grey: int = 0
    rejected: int = 0
    impostors: int = 0
    impostor_accepted: int = 0
    impostor_grey: int = 0
    skipped: list[tuple[Photo, str]] = field(default_factory=list)


def photo_embedding(data: bytes) -> Embeddings:
    """The embedding of the photo's largest face (a pool job)."""
    analysis = engine.analyse_image(
        engine.decode_image(data), engine.FrameOptions(detect=engine.PHOTO_DETECTION)
    )
    faces = [face for face in analysis.faces if face.embedding is not None]
    if not faces:
        raise engine.NoFaceFoundError("no face found")
    largest = max(faces, key=lambda face: face.box.area)
    assert largest.embedding is not None
    return largest.embedding


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


def embed_all(
    photos: list[Photo], workers: int, progress: Callable[[int, int], None]
) -> tuple[dict[Photo, Embeddings], list[tuple[Photo, str]]]:
    """Every photo's embedding, in a process pool (workers=0: in this process)."""
    found: dict[Photo, Embeddings] = {}
    skipped: list[tuple[Photo, str]] = []
    for done, (photo, result) in enumerate(_embeddings(photos, workers), start=1):
        if isinstance(result, str):
            skipped.append((photo, result))
        else:
            found[photo] = result
        progress(done, len(photos))
    return found, skipped


def _embeddings(photos: list[Photo], workers: int) -> Iterable[tuple[Photo, Embeddings | str]]:
    if workers <= 0:
        for photo in photos:
            yield photo, _guarded(functools.partial(_embed_file, photo.path))
        return
    with FacePool(workers=workers, max_pending=len(photos) + 1) as pool:
        futures = [(p, pool.submit(photo_embedding, p.path.read_bytes())) for p in photos]
        for photo, future in futures:
            yield photo, _guarded(future.result)


def _embed_file(path: Path) -> Embeddings:
    return photo_embedding(path.read_bytes())


def _guarded(compute: Callable[[], Embeddings]) -> Embeddings | str:
    try:
        return compute()
    except HopError as error:
        return error.detail
    except OSError as error:
        return f"unreadable: {error.strerror or error}"


def split(
    people: dict[str, list[Photo]], enrol: int
) -> tuple[list[str], list[Photo], list[Photo], list[Photo]]:
    """Held-out people, enrolment photos, genuine probes and impostor probes."""
    names = sorted(people)
    held_out = names[2::3]
    enrolled = [p for name in names if name not in held_out for p in people[name][:enrol]]
    genuine = [p for name in names if name not in held_out for p in people[name][enrol:]]
    impostors = [p for name in held_out for p in people[name]]
    return held_out, enrolled, genuine, impostors


@dataclass(frozen=True)
class Decision:
    photo: Photo
    match: Match
    best: str | None  # the nearest enrolled person's folder name


def decide(
    embeddings: dict[Photo, Embeddings],
    enrolled: list[Photo],
    probes: list[Photo],
    thresholds: Thresholds,
) -> list[Decision]:
    """Each probe through the kiosk's single-frame rule against the enrolled gallery."""
    usable = [p for p in enrolled if p in embeddings]
    names = sorted({p.person for p in usable})
    number = {name: i for i, name in enumerate(names)}
    gallery = Gallery.empty()
    if usable:
        rows = np.stack([embeddings[p] for p in usable])
        gallery = Gallery.build([number[p.person] for p in usable], rows)
    tested = [p for p in probes if p in embeddings]
    if not tested:
        return []
    matches = match_faces(gallery, np.stack([embeddings[p] for p in tested]), thresholds)
    return [
        Decision(photo, match, names[match.candidates[0].person_id] if match.candidates else None)
        for photo, match in zip(tested, matches, strict=True)
    ]


def tally(genuine: list[Decision], impostors: list[Decision], outcome: Outcome) -> Outcome:
    """Count the decisions of genuine and impostor probes."""
    for decision in genuine:
        outcome.genuine += 1
        verdict = decision.match.verdict
        if verdict == Verdict.accept:
            correct = decision.best == decision.photo.person
            outcome.identified += int(correct)
            outcome.misidentified += int(not correct)
        elif verdict == Verdict.grey:
            outcome.genuine_grey += 1
        else:
            outcome.rejected += 1
    for decision in impostors:
        outcome.impostors += 1
        outcome.impostor_accepted += int(decision.match.verdict == Verdict.accept)
        outcome.impostor_grey += int(decision.match.verdict == Verdict.grey)
    return outcome


def pairwise(embeddings: dict[Photo, Embeddings]) -> tuple[list[dict[str, float]], int, int]:
    """True and false accept rates over every pair of photos, per threshold."""
    photos = list(embeddings)
    if len(photos) < 2:
        return [], 0, 0
    matrix = np.stack([embeddings[p] for p in photos])
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


def summary(
    outcome: Outcome, thresholds: Thresholds, rows: list[dict[str, float]]
) -> dict[str, Any]:
    """The JSON line."""
    rate = outcome.identified / outcome.genuine if outcome.genuine else 0.0
    return {
        "threshold": thresholds.accept,
        "margin": thresholds.margin,
        "grey_threshold": thresholds.grey,
        "genuine": outcome.genuine,
        "identified": outcome.identified,
        "identified_rate": round(rate, 4),
        "misidentified": outcome.misidentified,
        "genuine_grey": outcome.genuine_grey,
        "rejected": outcome.rejected,
        "impostors": outcome.impostors,
        "impostor_accepted": outcome.impostor_accepted,
        "impostor_grey": outcome.impostor_grey,
        "skipped": len(outcome.skipped),
        "pairwise": rows,
    }


def report(
    out: TextIO,
    outcome: Outcome,
    thresholds: Thresholds,
    pairs: tuple[list[dict[str, float]], int, int],
    held_out: list[str],
) -> None:
    """The human-readable table."""
    rows, n_same, n_diff = pairs
    share = _share(outcome.genuine)
    print(
        f"Decision rule: accept under {thresholds.accept:.2f} with a margin of "
        f"{thresholds.margin:.2f} to the second person; grey zone under {thresholds.grey:.2f}",
        file=out,
    )
    print(f"Held out as unknown visitors: {', '.join(held_out) or '-'}\n", file=out)
    lines = [
        ("genuine probes", outcome.genuine, ""),
        ("  identified correctly", outcome.identified, share(outcome.identified)),
        ("  identified as someone else", outcome.misidentified, share(outcome.misidentified)),
        ("  grey zone (asked to tap)", outcome.genuine_grey, share(outcome.genuine_grey)),
        ("  rejected (unknown)", outcome.rejected, share(outcome.rejected)),
        ("impostor probes", outcome.impostors, ""),
        ("  accepted as someone", outcome.impostor_accepted, ""),
        ("  grey zone", outcome.impostor_grey, ""),
    ]
    for label, count, percent in lines:
        print(f"{label:<32}{count:>6}  {percent}", file=out)
    print(f"\npairwise ({n_same} same-person pairs, {n_diff} different-person pairs)", file=out)
    print(f"{'threshold':>10}{'TAR':>9}{'FAR':>9}", file=out)
    for row in rows:
        print(f"{row['threshold']:>10.2f}{row['tar']:>9.3f}{row['far']:>9.4f}", file=out)
    for photo, reason in outcome.skipped:
        print(f"skipped {photo.person}/{photo.path.name}: {reason}", file=out)


def _share(total: int) -> Callable[[int], str]:
    return lambda count: f"({100 * count / total:.1f}%)" if total else ""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="hop eval-faces", description=__doc__)
    parser.add_argument("folder", type=Path, help="one sub-folder of photos per person")
    parser.add_argument("--enrol", type=int, default=1, metavar="K", help="photos enrolled")
    parser.add_argument("--accept", type=float, default=Thresholds().accept)
    parser.add_argument("--margin", type=float, default=Thresholds().margin)
    parser.add_argument("--grey", type=float, default=Thresholds().grey)
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count() or 1, help="processes (0: this one)"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None, out: TextIO | None = None) -> int:
    """Run the evaluation; 0 on success, 2 when the folder cannot be evaluated."""
    out = out or sys.stdout
    args = parse_args(argv)
    if not args.folder.is_dir() or args.enrol < 1:
        print(f"eval-faces: {args.folder} is not a folder (or --enrol < 1)", file=sys.stderr)
        return 2
    try:
        thresholds = Thresholds(accept=args.accept, margin=args.margin, grey=args.grey)
    except ValueError as error:
        print(f"eval-faces: {error}", file=sys.stderr)
        return 2
    people = collect(args.folder)
    photos = [photo for group in people.values() for photo in group]
    embeddings, skipped = embed_all(photos, args.workers, _progress)
    held_out, enrolled, genuine, impostors = split(people, args.enrol)
    outcome = tally(
        decide(embeddings, enrolled, genuine, thresholds),
        decide(embeddings, enrolled, impostors, thresholds),
        Outcome(skipped=skipped),
    )
    pairs = pairwise(embeddings)
    report(out, outcome, thresholds, pairs, held_out)
    print(json.dumps(summary(outcome, thresholds, pairs[0])), file=out)
    return 0


def _progress(done: int, total: int) -> None:
    sys.stderr.write(f"\ranalysed {done}/{total} photos")
    if done == total:
        sys.stderr.write("\n")
