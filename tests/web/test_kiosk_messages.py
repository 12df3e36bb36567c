"""Generated messages to the kiosk socket (issue 13): "ping" and "confirm" are its text
messages, anything else gets an error reply, never an internal error, and the socket goes on.

No face is in front of the kiosk, so nothing is offered and no "confirm" can succeed; frames
that are not images are refused before they reach the face engine, which never starts here.
"""

import json
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlmodel import Session

from tests.factories import ORIGIN
from tests.web.checkin_support import kiosk_token, staff_and_meeting

LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
)
VALUES = st.recursive(
    LEAVES,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=6,
)
OBJECTS = st.dictionaries(
    st.sampled_from(["type", "person_id", "track_id", "nonce", "frame", "poll_id"]) | st.text(),
    VALUES,
    max_size=4,
)
TYPES = st.sampled_from(["confirm", "ping", "frame", "ballot", "", "CONFIRM"]) | VALUES
# A text message: an object with a generated or a known type, any JSON value, or not JSON.
TEXTS = st.one_of(
    st.builds(lambda fields, kind: json.dumps({**fields, "type": kind}), OBJECTS, TYPES),
    OBJECTS.map(json.dumps),
    VALUES.map(json.dumps),
    st.text(max_size=40),
)
FRAMES = st.binary(max_size=64) | st.sampled_from([b"\xff\xd8\xff\xe0", b"\x89PNG\r\n\x1a\n"])


def _expect(message: str | bytes) -> str:
    """What a kiosk answers this message with: pong for a ping, otherwise an error."""
    if isinstance(message, bytes):
        return "error"
    try:
        parsed = json.loads(message)
    except ValueError:
        return "error"
    return "pong" if isinstance(parsed, dict) and parsed.get("type") == "ping" else "error"


@hypothesis_settings(
    max_examples=80,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: the first failure is enough
    suppress_health_check=list(HealthCheck),
)
@given(message=TEXTS | FRAMES)
@example(message=json.dumps({"type": "confirm", "person_id": 2**70}))
@example(message=json.dumps({"type": "confirm", "person_id": "1"}))
@example(message=json.dumps({"type": "confirm"}))
@example(message=json.dumps({"type": "confirm", "person_id": 1, "nonce": {"a": [1]}}))
@example(message=json.dumps({"type": ["ping"]}))
@example(message="NaN")
@example(message='{"type": "confirm", "person_id": Infinity}')
@example(message="\x00")
@example(message=b"")
def test_generated_messages_to_the_kiosk_get_an_error_never_an_internal_one(
    client: TestClient, session: Session, message: str | bytes
) -> None:
    _, meeting = staff_and_meeting(client, session)
    token = kiosk_token(client, meeting.id)
    url = f"/ws/kiosk/{meeting.id}?token={token}"
    with client.websocket_connect(url, headers=ORIGIN) as ws:
        if isinstance(message, bytes):
            ws.send_bytes(message)
        else:
            ws.send_text(message)
        ws.send_text(json.dumps({"type": "ping"}))  # the socket still answers afterwards
        replies: list[dict[str, Any]] = [ws.receive_json() for _ in range(2)]
    assert all(reply.get("error") != "InternalError" for reply in replies), (message, replies)
    assert {"type": "pong"} in replies, (message, replies)
    replies.remove({"type": "pong"})
    answer = replies[0]
    if _expect(message) == "pong":
        assert answer == {"type": "pong"}, (message, answer)
    else:
        assert answer["type"] == "error", (message, answer)
        assert isinstance(answer.get("error"), str), (message, answer)
        assert answer["error"], (message, answer)
