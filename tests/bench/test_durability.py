"""Bounded durability runs on the test database kind (2 kill points × 200 plain ballots, and
2 × 100 encrypted ones): every acknowledged ballot survives SIGKILL, resends are acknowledged as
before and never doubled, and the closing tally counts exactly the stored ballots. The full runs
are `python -m bench.durability [--encrypted]`.
"""

import pytest

from bench.durability import run_database
from tests.factories import PG_URL

KIND = "postgresql" if PG_URL else "sqlite"
# A database of its own on the test server: the suite's tests empty theirs meanwhile.
DURABILITY_URL = PG_URL.rsplit("/", 1)[0] + "/hop_durability_ci" if PG_URL else ""


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_acknowledged_ballots_survive_sigkill_and_resends_are_not_doubled() -> None:
    row = run_database(KIND, kills=2, voters=200, seed=8, pg_url=DURABILITY_URL)
    assert row["kills"] == 2
    assert row["acked"] > 0
    assert (row["lost"], row["double"], row["ack_changed"], row["resend_failed"]) == (0, 0, 0, 0)
    assert row["tally_ok"] == 2, row


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_acknowledged_encrypted_ballots_survive_sigkill_and_the_trustees_count_them_once() -> None:
    """The same with encrypted secret polls: each acknowledged ballot's who-voted mark and
    tracking code survive the kill, a resend with its nonce gets the same acknowledgement,
    and the trustees' decryption counts every voter once on a board the verifier accepts."""
    row = run_database(KIND, kills=2, voters=100, seed=5, pg_url=DURABILITY_URL, encrypted=True)
    assert row["kills"] == 2
    assert row["acked"] > 0
    assert (row["lost"], row["double"], row["ack_changed"], row["resend_failed"]) == (0, 0, 0, 0)
    assert row["tally_ok"] == 2, row
