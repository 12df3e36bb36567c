"""Face fixtures for the check-in tests: real photos from ../shared/faces, analysed once.

Analysing a photo costs 0.2-0.5 s of CPU, so every photo is analysed once per test session
(session-scoped fixtures) and the tests share the results.
"""

from pathlib import Path

import numpy as np
import pytest

from checkin import engine
from checkin.engine import FrameAnalysis, FrameOptions
from checkin.matching import Gallery
from tests.faces import PEOPLE, PROBES, EnrolledPhoto


@pytest.fixture(scope="session", autouse=True)
def _faces_present(faces: Path) -> None:
    """The face fixtures are test material: their absence is a failure, never a skip."""


@pytest.fixture(scope="session")
def people_names() -> list[str]:
    return sorted(path.name for path in PEOPLE.iterdir() if path.is_dir())


@pytest.fixture(scope="session")
def person_numbers(people_names: list[str]) -> dict[str, int]:
    """A stable number per person folder, used as person id in galleries without a database."""
    return {name: index + 1 for index, name in enumerate(people_names)}


@pytest.fixture(scope="session")
def enrolled_photos(people_names: list[str]) -> list[EnrolledPhoto]:
    """Every photo of people/, analysed for enrolment once."""
    photos = []
    for name in people_names:
        for path in sorted((PEOPLE / name).iterdir()):
            face = engine.analyse_enrolment_photo(path.read_bytes())
            photos.append(EnrolledPhoto(name, path, face))
    return photos


@pytest.fixture(scope="session")
def people_gallery(enrolled_photos: list[EnrolledPhoto], person_numbers: dict[str, int]) -> Gallery:
    ids = [person_numbers[photo.person] for photo in enrolled_photos]
    return Gallery.build(ids, np.stack([photo.face.embedding for photo in enrolled_photos]))


@pytest.fixture(scope="session")
def probe_analyses() -> dict[str, FrameAnalysis]:
    """Every probe photo analysed once as a single frame (photo detection, landmarks)."""
    options = FrameOptions(detect=engine.PHOTO_DETECTION, landmarks=True)
    return {
        path.name: engine.analyse_frame(path.read_bytes(), options)
        for path in sorted(PROBES.iterdir())
    }


@pytest.fixture(scope="session")
def jpeg_bytes() -> bytes:
    return (PROBES / "obama-480p.jpg").read_bytes()


@pytest.fixture(scope="session")
def person_name_of(person_numbers: dict[str, int]) -> dict[int, str]:
    return {number: name for name, number in person_numbers.items()}
