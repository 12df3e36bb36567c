"""Domain tags, transcript encoding and the two hashes of hop-eb-v1 (spec §3.3, §3.4, §4).

Items are bytes (points and scalars go in as their 32-byte encodings), str (UTF-8, no
normalisation) or int (u64 big-endian). Nothing is hashed without a tag.
"""

import hashlib

from voting.encrypted.group import L

TAG_ENTRY = "hop-eb-v1/entry"
TAG_BOARD_HEAD = "hop-eb-v1/board-head"
TAG_POK_TRANSPORT = "hop-eb-v1/pok-transport"
TAG_POK_COEFFICIENT = "hop-eb-v1/pok-coefficient"
TAG_POK_SHARE = "hop-eb-v1/pok-share"
TAG_SHARE_KEY = "hop-eb-v1/share-key"
TAG_SHARE_AAD = "hop-eb-v1/share-aad"
TAG_KEY_FILE = "hop-eb-v1/key-file"
TAG_TRACKING = "hop-eb-v1/tracking"
TAG_PROOF_BIT = "hop-eb-v1/proof-bit"
TAG_PROOF_SUM = "hop-eb-v1/proof-sum"
TAG_PROOF_DECRYPT = "hop-eb-v1/proof-decrypt"
TAG_TEST_VECTOR = "hop-eb-v1/test-vector"

Item = bytes | str | int


def _item(x: Item) -> bytes:
    # bool is an int in Python: refuse it so that True never hashes as 1 by accident.
    if isinstance(x, bool):
        raise TypeError("booleans are not transcript items")
    if isinstance(x, int):
        if not 0 <= x < 2**64:
            raise ValueError("transcript integers are 0 <= v < 2^64")
        x = x.to_bytes(8, "big")
    elif isinstance(x, str):
        x = x.encode("utf-8")
    if not isinstance(x, bytes):
        raise TypeError("transcript items are bytes, str or int")
    return len(x).to_bytes(4, "big") + x


def transcript(tag: str, *items: Item) -> bytes:
    """T(tag, x1..xk): each item length-prefixed, the tag first."""
    return b"".join(_item(x) for x in (tag, *items))


def hash_to_scalar(tag: str, *items: Item) -> int:
    """SHA-512 of the transcript, read little-endian, reduced mod L."""
    return int.from_bytes(hashlib.sha512(transcript(tag, *items)).digest(), "little") % L


def h256(tag: str, *items: Item) -> bytes:
    """SHA-256 of the transcript."""
    return hashlib.sha256(transcript(tag, *items)).digest()


def fixed(*labels: str | int) -> int:
    """The fixed "random" values of the test vectors (spec §17)."""
    return hash_to_scalar(TAG_TEST_VECTOR, *labels)
