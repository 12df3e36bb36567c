"""What the walk over a board has established so far, entry by entry."""

from dataclasses import dataclass, field

from cli.eb_verify.group import Point


@dataclass
class Parameters:
    """The checked `parameters` body (§6.1) and what is derived from it."""

    poll_id: int
    kind: str
    title: str
    labels: list[str]  # per slot; the last is abstain
    weights: list[int]
    allowed_sums: list[int]
    n: int
    t: int

    @property
    def slots(self) -> int:
        return len(self.weights)


@dataclass
class State:
    """Setup keys, ballots and tally pieces in board order."""

    params: Parameters | None = None
    poll_hash: bytes = b""
    transport_keys: dict[int, Point] = field(default_factory=dict)
    commitments: dict[int, list[Point]] = field(default_factory=dict)
    dealers: set[int] = field(default_factory=set)
    confirmed: set[int] = field(default_factory=set)
    complaints: int = 0
    joint_key: Point = b""
    verification_keys: dict[int, Point] = field(default_factory=dict)
    ready: bool = False
    ballots: list[list[tuple[Point, Point]]] = field(default_factory=list)
    cast_codes: list[str] = field(default_factory=list)
    spoiled_codes: list[str] = field(default_factory=list)
    closed: bool = False
    close_hash: bytes = b""
    sums: list[tuple[Point, Point]] = field(default_factory=list)
    partials: dict[int, list[Point]] = field(default_factory=dict)  # in board order
    counts: list[int] | None = None
    verdict: object = None
    ended: str = ""  # "result" or "abandoned (<reason>)"

    @property
    def p(self) -> Parameters:
        assert self.params is not None, "parameters are checked first"
        return self.params
