"""`hop eval-faces DIR`: K = 1 and K = 2 by default, with and without learning, the rejected
photos and why, and a --help that shows every option."""

import io
import json
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from typer.testing import CliRunner

from checkin import evaluate
from checkin.engine import EMBEDDING_SIZE
from checkin.evaluate import EvalOptions, Photo, PhotoFace, Plan
from cli.main import app as hop
from tests.faces import PEOPLE, PROBES


def run(folder: Path, *enrol: int) -> tuple[int, list[str]]:
    out = io.StringIO()
    options = EvalOptions(folder=folder, workers=0)
    if enrol:
        options = EvalOptions(folder=folder, enrol=enrol, workers=0)
    code = evaluate.run(options, out=out)
    return code, out.getvalue().strip().splitlines()


def test_eval_faces_reports_k1_and_k2_by_default() -> None:
    code, lines = run(PEOPLE)
    assert code == 0
    result = json.loads(lines[-1])
    assert [r["enrol"] for r in result["runs"]] == [1, 2]
    # Six people: kit_harington and rose_leslie (3rd and 6th) are the unknown visitors.
    assert "Held out as unknown visitors: kit_harington, rose_leslie" in lines
    assert "Enrolled: 1 photo(s) per person" in lines
    assert "Enrolled: 2 photo(s) per person" in lines
    assert result["threshold"] == 0.5
    one, two = result["runs"]
    for key in ("without_learning", "with_learning"):
        assert one[key]["genuine"] == 3  # alex, biden and obama have a second photo
        assert one[key]["impostors"] == 4
        assert one[key]["misidentified"] == 0
        assert one[key]["impostor_accepted"] == 0
        assert one[key]["identified_rate"] >= 0.66
        assert two[key]["genuine"] == 0  # every second photo is enrolled now
    assert one["without_learning"]["learned"] == 0
    assert result["rejected"] == []
    assert "rejected photos: 0" in lines
    thresholds = [row["threshold"] for row in result["pairwise"]]
    assert (thresholds[0], thresholds[-1]) == (0.40, 0.60)
    far = [row["far"] for row in result["pairwise"]]
    tar = [row["tar"] for row in result["pairwise"]]
    assert far == sorted(far)
    assert tar == sorted(tar)
    assert (tar[-1], far[-1]) == (1.0, 0.0)
    assert any(line.startswith("genuine probes") for line in lines)


def test_enrol_k_picks_one_run() -> None:
    code, lines = run(PEOPLE, 2)
    assert code == 0
    assert [r["enrol"] for r in json.loads(lines[-1])["runs"]] == [2]


def test_rejected_photos_are_listed_with_why(tmp_path: Path) -> None:
    person = tmp_path / "somebody"
    person.mkdir()
    ok, blank = cv2.imencode(".jpg", np.full((200, 200, 3), 128, np.uint8))
    assert ok
    (person / "a_blank.jpg").write_bytes(blank.tobytes())
    (person / "b_notes.jpg").write_text("not a photo")
    (person / "c_ignored.txt").write_text("ignored: not an image suffix")
    (person / "d_crowd.jpg").write_bytes((PROBES / "obama_and_biden.jpg").read_bytes())
    code, lines = run(tmp_path, 1)
    assert code == 0
    rejected = {r["photo"]: r["reason"] for r in json.loads(lines[-1])["rejected"]}
    assert set(rejected) == {"somebody/a_blank.jpg", "somebody/b_notes.jpg", "somebody/d_crowd.jpg"}
    assert "rejected photos: 3" in lines
    assert "rejected somebody/a_blank.jpg: no face found" in lines
    assert any(line.startswith("rejected somebody/b_notes.jpg: Not an image") for line in lines)
    assert rejected["somebody/d_crowd.jpg"].startswith("3 faces")


def test_a_missing_folder_is_an_error(tmp_path: Path) -> None:
    assert evaluate.run(EvalOptions(folder=tmp_path / "missing")) == 2
    assert evaluate.run(EvalOptions(folder=tmp_path, enrol=(0,))) == 2


# -- the learning simulation (synthetic faces: the distances are chosen) ------------------------


def unit(axis: int) -> np.ndarray:
    vector = np.zeros(EMBEDDING_SIZE, dtype=np.float32)
    vector[axis] = 1.0
    return vector


def face(vector: np.ndarray, *, px: int = 200) -> PhotoFace:
    return PhotoFace(vector.astype(np.float32), px, 100.0)


def synthetic(probes: dict[str, np.ndarray], **sizes: int) -> tuple[dict[Photo, Any], Plan]:
    """Ann enrolled at the origin, Bob far away; Ann's probes in the given order."""
    photo = {name: Photo("ann", Path(name)) for name in probes}
    enrolled_ann, enrolled_bob = Photo("ann", Path("enrolled")), Photo("bob", Path("enrolled"))
    faces = {enrolled_ann: face(np.zeros(EMBEDDING_SIZE)), enrolled_bob: face(unit(9))}
    faces |= {photo[name]: face(vector, px=sizes.get(name, 200)) for name, vector in probes.items()}
    plan = Plan(
        held_out=[],
        enrolled={"ann": [enrolled_ann], "bob": [enrolled_bob]},
        genuine={"ann": list(photo.values()), "bob": []},
        impostors=[],
        not_enrolled=[],
    )
    return faces, plan


def simulate(faces: dict[Photo, Any], plan: Plan, learn: bool) -> evaluate.Outcome:
    return evaluate.simulate(faces, plan, evaluate.Thresholds(), learn=learn)


def test_learning_from_a_confirmed_grey_face_identifies_the_next_one() -> None:
    # grey: 0.55 from the enrolled face; far: 0.71 from it but 0.45 from the grey one.
    grey, far = 0.55 * unit(1), 0.55 * unit(1) + 0.45 * unit(2)
    faces, plan = synthetic({"1_grey": grey, "2_far": far})
    without, learning = simulate(faces, plan, False), simulate(faces, plan, True)
    assert (without.genuine_grey, without.rejected, without.identified) == (1, 1, 0)
    assert (learning.genuine_grey, learning.rejected, learning.identified) == (1, 0, 1)
    assert (without.learned, learning.learned) == (0, 1)


def test_no_learning_from_face_accepted_or_poor_faces() -> None:
    accepted, tiny = 0.1 * unit(1), 0.55 * unit(2)
    faces, plan = synthetic({"1_accepted": accepted, "2_tiny": tiny}, **{"2_tiny": 40})
    outcome = simulate(faces, plan, True)
    assert (outcome.identified, outcome.genuine_grey) == (1, 1)
    assert outcome.learned == 0  # accepted by face alone: no drift; too small: no quality


def test_the_simulated_gallery_is_bounded() -> None:
    probes = {f"{i}_grey": 0.55 * unit(1 + i) for i in range(evaluate.learning.MAX_LEARNED + 2)}
    faces, plan = synthetic(probes)
    templates = evaluate.Templates(faces, plan.enrolled)
    for photo in plan.genuine["ann"]:
        templates.learn("ann", faces[photo].embedding)
    assert len(templates.learned["ann"]) == evaluate.learning.MAX_LEARNED
    assert len(templates.enrolled["ann"]) == 1
    last = faces[plan.genuine["ann"][-1]].embedding
    assert np.array_equal(templates.learned["ann"][-1], last)


# -- the command --------------------------------------------------------------------------------


def test_help_shows_every_option() -> None:
    result = CliRunner().invoke(hop, ["eval-faces", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for option in ("--enrol", "--accept", "--margin", "--grey", "--workers"):
        assert option in result.output
    assert "K = 1 and K = 2" in result.output
    assert "Face engine processes" in result.output


def test_bad_options_are_refused(tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(hop, ["eval-faces", str(tmp_path), "--enrol", "0"]).exit_code == 2
    wrong = ["eval-faces", str(tmp_path), "--accept", "0.7", "--grey", "0.6"]
    result = runner.invoke(hop, wrong)
    assert result.exit_code == 2
    assert "accept <= grey" in result.output
