"""Multi-frame decisions at a kiosk: agreement across frames, cooldown, several faces."""

import pytest

from checkin.engine import Box, FrameAnalysis
from checkin.errors import NotOfferedError
from checkin.kiosk import Kiosk, KioskSettings
from checkin.matching import Candidate, Gallery, Match, Verdict
from checkin.tracker import FaceState, KioskTracker, Observation, TrackerSettings

LEFT = Box(top=100, right=200, bottom=200, left=100)
RIGHT = Box(top=100, right=500, bottom=200, left=400)


def accept(person_id: int, distance: float = 0.35) -> Match:
    return Match(Verdict.accept, (Candidate(person_id, distance), Candidate(99, 0.8)))


def grey(person_id: int, distance: float = 0.54) -> Match:
    return Match(Verdict.grey, (Candidate(person_id, distance),))


UNKNOWN = Match(Verdict.unknown, (Candidate(5, 0.75),))


def nudge(box: Box, dx: int) -> Box:
    return Box(box.top, box.right + dx, box.bottom, box.left + dx)


def test_one_frame_is_not_enough_two_are() -> None:
    tracker = KioskTracker()
    first = tracker.update([Observation(LEFT, accept(1))], now=10.0)
    assert first.check_ins == []
    assert first.faces[0].state == FaceState.detecting
    second = tracker.update([Observation(nudge(LEFT, 8), accept(1, 0.31))], now=10.3)
    assert [c.person_id for c in second.check_ins] == [1]
    assert second.check_ins[0].distance == pytest.approx(0.31)
    assert second.faces[0].state == FaceState.checked_in
    assert second.faces[0].track_id == first.faces[0].track_id


def test_agreement_must_fall_within_two_seconds() -> None:
    tracker = KioskTracker(TrackerSettings(track_ttl_s=5.0))
    tracker.update([Observation(LEFT, accept(1))], now=0.0)
    late = tracker.update([Observation(LEFT, accept(1))], now=2.5)
    assert late.check_ins == []
    assert tracker.update([Observation(LEFT, accept(1))], now=3.0).check_ins


def test_two_frames_of_different_people_do_not_agree() -> None:
    tracker = KioskTracker()
    tracker.update([Observation(LEFT, accept(1))], now=0.0)
    update = tracker.update([Observation(LEFT, accept(2))], now=0.2)
    assert update.check_ins == []


def test_cooldown_checks_a_person_in_once() -> None:
    tracker = KioskTracker(TrackerSettings(cooldown_s=30.0))
    tracker.update([Observation(LEFT, accept(1))], now=0.0)
    assert tracker.update([Observation(LEFT, accept(1))], now=0.2).check_ins
    for step in range(1, 20):
        update = tracker.update([Observation(LEFT, accept(1))], now=0.2 + step * 0.2)
        assert update.check_ins == []
        assert update.faces[0].state == FaceState.present
    # The person leaves and comes back inside the cooldown: a new track, still no check-in.
    tracker.update([], now=10.0)
    tracker.update([Observation(RIGHT, accept(1))], now=12.0)
    again = tracker.update([Observation(RIGHT, accept(1))], now=12.3)
    assert again.check_ins == []
    assert again.faces[0].state == FaceState.present
    # After the cooldown the kiosk may ask again (the ledger ignores a repeated check-in).
    tracker.update([Observation(LEFT, accept(1))], now=40.0)
    assert tracker.update([Observation(LEFT, accept(1))], now=40.3).check_ins


def test_several_faces_in_a_frame_are_decided_independently() -> None:
    tracker = KioskTracker()
    tracker.update([Observation(LEFT, accept(1)), Observation(RIGHT, UNKNOWN)], now=0.0)
    update = tracker.update(
        [Observation(nudge(RIGHT, 5), UNKNOWN), Observation(nudge(LEFT, -5), accept(1))],
        now=0.25,
    )
    assert [c.person_id for c in update.check_ins] == [1]
    states = {face.box.left: face.state for face in update.faces}
    assert states == {95: FaceState.checked_in, 405: FaceState.unknown}
    both = tracker.update([Observation(LEFT, accept(1)), Observation(RIGHT, accept(2))], now=0.5)
    assert both.check_ins == []  # person 2 has one frame so far
    assert [
        c.person_id
        for c in tracker.update(
            [Observation(LEFT, accept(1)), Observation(RIGHT, accept(2))], now=0.75
        ).check_ins
    ] == [2]


def test_a_face_that_moves_away_starts_a_new_track() -> None:
    tracker = KioskTracker()
    first = tracker.update([Observation(LEFT, accept(1))], now=0.0)
    moved = tracker.update([Observation(RIGHT, accept(1))], now=0.2)
    assert moved.faces[0].track_id != first.faces[0].track_id
    assert moved.check_ins == []


def test_grey_zone_offers_the_name_and_a_tap_checks_in() -> None:
    tracker = KioskTracker()
    tracker.update([Observation(LEFT, grey(3))], now=0.0)
    update = tracker.update([Observation(LEFT, grey(3))], now=0.2)
    [face] = update.faces
    assert face.state == FaceState.confirm
    assert [c.person_id for c in face.candidates] == [3]
    assert update.check_ins == []
    with pytest.raises(NotOfferedError):
        tracker.confirm(track_id=face.track_id, person_id=4, now=0.5)
    check_in = tracker.confirm(track_id=face.track_id, person_id=3, now=0.5)
    assert check_in is not None
    assert check_in.person_id == 3
    assert tracker.update([Observation(LEFT, grey(3))], now=0.7).faces[0].state == FaceState.present


def test_settled_faces_are_skipped_then_reverified() -> None:
    tracker = KioskTracker(TrackerSettings(reverify_s=1.0))
    tracker.update([Observation(LEFT, accept(1))], now=0.0)
    tracker.update([Observation(LEFT, accept(1))], now=0.2)
    assert tracker.skip_boxes(now=0.4) == (LEFT,)
    # A frame whose face was not re-encoded keeps the person present.
    update = tracker.update([Observation(LEFT, None)], now=0.4)
    assert update.faces[0].state == FaceState.present
    assert update.faces[0].person_id == 1
    assert tracker.skip_boxes(now=1.3) == ()


def test_a_face_missing_from_the_last_frame_is_not_skipped() -> None:
    # The next person at the door steps into the spot the last one left: an empty frame in
    # between means their face is encoded again, never taken for the one who left.
    tracker = KioskTracker(TrackerSettings(reverify_s=5.0))
    tracker.update([Observation(LEFT, accept(1))], now=0.0)
    tracker.update([Observation(LEFT, accept(1))], now=0.2)
    assert tracker.skip_boxes(now=0.3) == (LEFT,)
    tracker.update([], now=0.4)
    assert tracker.skip_boxes(now=0.5) == ()


def test_someone_else_in_a_settled_box_is_decided_afresh() -> None:
    tracker = KioskTracker()
    tracker.update([Observation(LEFT, accept(1))], now=0.0)
    tracker.update([Observation(LEFT, accept(1))], now=0.2)
    swapped = tracker.update([Observation(LEFT, accept(2))], now=1.3)
    assert swapped.faces[0].state == FaceState.detecting
    assert tracker.update([Observation(LEFT, accept(2))], now=1.5).check_ins[0].person_id == 2


def test_unknown_faces_are_rechecked_at_a_slower_pace_after_a_grace_period() -> None:
    tracker = KioskTracker(TrackerSettings(unknown_grace_s=1.0, unknown_recheck_s=0.5))
    tracker.update([Observation(LEFT, UNKNOWN)], now=0.0)
    assert tracker.skip_boxes(now=0.2) == ()  # someone still walking up: every frame counts
    tracker.update([Observation(LEFT, UNKNOWN)], now=1.0)
    assert tracker.skip_boxes(now=1.2) == (LEFT,)
    assert tracker.skip_boxes(now=1.6) == ()


def test_kiosk_with_real_frames_checks_in_on_the_second_frame(
    probe_analyses: dict[str, FrameAnalysis],
    people_gallery: Gallery,
    person_numbers: dict[str, int],
) -> None:
    kiosk = Kiosk(name="Cửa A", settings=KioskSettings())
    frame = probe_analyses["obama_and_biden.jpg"]
    first = kiosk.decide(frame, people_gallery, now=0.0)
    assert first.check_ins == []
    second = kiosk.decide(frame, people_gallery, now=0.3)
    assert sorted(c.person_id for c in second.check_ins) == sorted(
        [person_numbers["obama"], person_numbers["biden"]]
    )
    states = sorted(face.state.value for face in second.faces)
    assert states == ["checked_in", "checked_in", "unknown"]
    # The next frame needs no embedding for the two settled faces; the unknown one is
    # re-encoded until it has been unknown for a second.
    assert len(kiosk.frame_options(now=0.5).skip_boxes) == 2


def test_a_weaker_frame_between_two_accepts_does_not_break_agreement() -> None:
    tracker = KioskTracker()
    tracker.update([Observation(LEFT, accept(1))], now=0.0)
    assert tracker.update([Observation(LEFT, grey(1))], now=0.2).check_ins == []
    assert tracker.update([Observation(LEFT, UNKNOWN)], now=0.4).check_ins == []
    assert [
        c.person_id for c in tracker.update([Observation(LEFT, accept(1))], now=0.6).check_ins
    ] == [1]


def test_accepts_of_someone_else_in_between_reset_agreement() -> None:
    tracker = KioskTracker()
    tracker.update([Observation(LEFT, accept(1))], now=0.0)
    tracker.update([Observation(LEFT, accept(2))], now=0.2)
    assert tracker.update([Observation(LEFT, accept(1))], now=0.4).check_ins == []
    assert tracker.update([Observation(LEFT, accept(1))], now=0.6).check_ins


def test_a_face_that_moved_a_little_without_overlap_keeps_its_track() -> None:
    tracker = KioskTracker()
    first = tracker.update([Observation(LEFT, accept(1))], now=0.0)
    shifted = nudge(LEFT, 70)  # IoU 0.18, the centre moved 0.7 of the face's size
    assert shifted.iou(LEFT) < 0.3
    second = tracker.update([Observation(shifted, accept(1))], now=0.3)
    assert second.faces[0].track_id == first.faces[0].track_id
    assert [c.person_id for c in second.check_ins] == [1]
