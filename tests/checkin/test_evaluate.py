"""`hop eval-faces DIR`: the table and the JSON line, on the real people/ folder."""

import io
import json
from pathlib import Path

import cv2
import numpy as np

from checkin import evaluate
from tests.faces import PEOPLE


def run(*args: str) -> tuple[int, list[str]]:
    out = io.StringIO()
    code = evaluate.main([*args, "--workers", "0"], out=out)
    return code, out.getvalue().strip().splitlines()


def test_eval_faces_on_people() -> None:
    code, lines = run(str(PEOPLE), "--enrol", "1")
    assert code == 0
    result = json.loads(lines[-1])
    assert {
        "threshold",
        "genuine",
        "identified_rate",
        "misidentified",
        "impostors",
        "impostor_accepted",
        "pairwise",
    } <= set(result)
    # Six people: kit_harington and rose_leslie (3rd and 6th) are the unknown visitors.
    assert "Held out as unknown visitors: kit_harington, rose_leslie" in lines
    assert result["threshold"] == 0.5
    assert result["genuine"] == 3  # alex, biden and obama have a second photo
    assert result["impostors"] == 4
    assert result["misidentified"] == 0
    assert result["impostor_accepted"] == 0
    assert result["identified_rate"] >= 0.66
    thresholds = [row["threshold"] for row in result["pairwise"]]
    assert thresholds[0] == 0.40
    assert thresholds[-1] == 0.60
    far = [row["far"] for row in result["pairwise"]]
    tar = [row["tar"] for row in result["pairwise"]]
    assert far == sorted(far)
    assert tar == sorted(tar)
    assert tar[-1] == 1.0
    assert far[-1] == 0.0
    assert any(line.startswith("genuine probes") for line in lines)


def test_unusable_photos_are_skipped_with_a_reason(tmp_path: Path) -> None:
    person = tmp_path / "somebody"
    person.mkdir()
    ok, blank = cv2.imencode(".jpg", np.full((200, 200, 3), 128, np.uint8))
    assert ok
    (person / "a_blank.jpg").write_bytes(blank.tobytes())
    (person / "b_notes.jpg").write_text("not a photo")
    (person / "c_ignored.txt").write_text("ignored: not an image suffix")
    code, lines = run(str(tmp_path))
    assert code == 0
    assert json.loads(lines[-1])["skipped"] == 2
    assert "skipped somebody/a_blank.jpg: no face found" in lines
    assert any(line.startswith("skipped somebody/b_notes.jpg: Not an image") for line in lines)


def test_a_missing_folder_is_an_error(tmp_path: Path) -> None:
    assert evaluate.main([str(tmp_path / "missing")]) == 2
