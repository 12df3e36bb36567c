"""The hop-eb-v1 board verifier, written against docs/ENCRYPTED_BALLOTS.md only.

It may import the standard library, rbcl and cryptography, never the server's packages
(an import-linter contract keeps it so): an independent check must not share their bugs.
"""
