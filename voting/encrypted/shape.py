"""The ballot's shape: slots, weights and allowed sums derived from the poll (spec §6.2, §6.3)."""

from dataclasses import dataclass

from voting.encrypted.errors import ProtocolError

ABSTAIN = "abstain"
KINDS = ("yes_no", "single", "multiple")


@dataclass(frozen=True, slots=True)
class PollShape:
    slots: tuple[str, ...]
    weights: tuple[int, ...]
    allowed_sums: tuple[int, ...]

    @property
    def size(self) -> int:
        return len(self.slots)


def _check_choices(kind: str, p: int, min_choices: int, max_choices: int) -> None:
    if kind != "multiple" and (min_choices, max_choices) != (1, 1):
        raise ProtocolError("parameters", "yes_no and single polls take min = max = 1")
    if not 0 <= min_choices <= max_choices <= p:
        raise ProtocolError("parameters", "need 0 <= min_choices <= max_choices <= options")


def derive_shape(kind: str, option_ids: list[str], min_choices: int, max_choices: int) -> PollShape:
    """The table of §6.2: one slot per option then abstain, its weights and allowed sums."""
    if kind not in KINDS:
        raise ProtocolError("parameters", "kind is not yes_no, single or multiple")
    if kind == "yes_no" and option_ids != ["yes", "no"]:
        raise ProtocolError("parameters", "a yes_no poll has the options yes and no")
    if len(set(option_ids)) != len(option_ids) or ABSTAIN in option_ids or not option_ids:
        raise ProtocolError("parameters", "option ids must be distinct, non-empty, not abstain")
    p = len(option_ids)
    _check_choices(kind, p, min_choices, max_choices)
    slots = (*option_ids, ABSTAIN)
    if kind != "multiple":
        return PollShape(slots, (1,) * (p + 1), (1,))
    # Abstain weighs p+1 so one sum proof enforces "min..max options" and "abstain alone".
    allowed = (*range(min_choices, max_choices + 1), p + 1)
    return PollShape(slots, (*(1,) * p, p + 1), allowed)


def choice_vector(shape: PollShape, options: list[str], *, abstain: bool) -> list[int]:
    """The plaintext vector of a voter's answer; raises if the answer breaks the poll's rules."""
    if abstain and options:
        raise ProtocolError("choice", "abstain goes alone")
    unknown = set(options) - set(shape.slots[:-1])
    if unknown or len(set(options)) != len(options):
        raise ProtocolError("choice", "unknown or repeated option")
    m = [1 if slot in options else 0 for slot in shape.slots[:-1]] + [int(abstain)]
    if not is_valid_vector(shape, m):
        raise ProtocolError("choice", "the number of options chosen is not allowed")
    return m


def weighted_total(shape: PollShape, m: list[int]) -> int:
    return sum(w * v for w, v in zip(shape.weights, m, strict=True))


def is_valid_vector(shape: PollShape, m: list[int]) -> bool:
    """Every entry 0 or 1 (ints, not booleans) and the weighted sum allowed."""
    if len(m) != shape.size or any(type(v) is not int or v not in (0, 1) for v in m):
        return False
    return weighted_total(shape, m) in shape.allowed_sums
