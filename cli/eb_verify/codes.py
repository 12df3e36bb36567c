"""Finding a voter's tracking code on a board (§10), by full hex or by its displayed form."""

import re

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base 32, as voting/secrecy.py
HEX64 = re.compile(r"[0-9a-f]{64}")


def displayed(code: str) -> str:
    """The 16-character form shown to the voter: the first 80 bits, in 4 groups of 4."""
    value = int.from_bytes(bytes.fromhex(code)[:10], "big")
    chars = "".join(ALPHABET[(value >> shift) & 31] for shift in range(75, -1, -5))
    return "-".join(chars[i : i + 4] for i in range(0, 16, 4))


def normalise(given: str) -> str | None:
    """Full hex as is; a displayed code with O→0, I/L→1, any case, dashes and spaces dropped."""
    text = given.strip()
    if HEX64.fullmatch(text.lower()):
        return text.lower()
    text = text.upper().replace("-", "").replace(" ", "")
    text = text.replace("O", "0").replace("I", "1").replace("L", "1")
    if len(text) != 16 or any(char not in ALPHABET for char in text):
        return None
    return "-".join(text[i : i + 4] for i in range(0, 16, 4))


def find(given: str, codes: dict[str, str]) -> tuple[str, str] | None:
    """(full code, "cast" or "spoiled") for a code on the board, else None."""
    wanted = normalise(given)
    if wanted is None:
        return None
    for code, where in codes.items():
        if wanted in (code, displayed(code)):
            return code, where
    return None
