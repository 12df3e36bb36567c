"""Encrypted secret polls (hop-eb-v1) over a database session: the board of each poll, the
trustees' entries, casting encrypted ballots, closing and decrypting the sums.

The protocol itself (proofs, hashes, checks) is voting.encrypted; this package stores what it
produces and applies the poll rules of the rest of voting/ (lifecycle, presence, eligibility,
one ballot per voter), which it reuses rather than re-writes. Modules: errors, store (the
board table), access (the committee), trustees, casting, closing, results. voting.polls
calls store and closing for the lifecycle; drafting an encrypted poll, which builds on
voting.polls, is voting.encrypted_committee.
"""
