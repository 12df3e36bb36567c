"""hop-eb-v1: encrypted secret ballots (docs/ENCRYPTED_BALLOTS.md), pure functions over bytes.

No database and no web here: the server, the tests and a test tablet call these functions,
and the independent verifier (cli/verify_poll) re-implements them from the specification.
group (ristretto255 via rbcl) → transcript, canonical → elgamal, proofs → shape, tracking,
parameters → ballots, dkg, tally → order, board → audit (whole-board checks). Every rejection
is a ProtocolError naming the failed check (and the entry, when reading a board).
"""
