"""The signing context of this deployment, read from its settings once: the trusted roots, the
time-stamp authority, the seal, and the cipher that seals signers' key files."""

from functools import lru_cache
from pathlib import Path
from typing import Annotated

from asn1crypto.x509 import Certificate
from fastapi import Depends

from core.at_rest import AtRestCipher
from records.pdf_signatures import load_trust_roots
from records.signer_keys import KEY_PURPOSE
from records.signing import SealConfig, SigningContext
from web.deps import StateDep
from web.settings import Settings


def signing_context(settings: Settings) -> SigningContext:
    seal = None
    if settings.seal_pkcs12 is not None:
        seal = SealConfig(path=settings.seal_pkcs12, passphrase=settings.seal_passphrase)
    return SigningContext(
        cipher=_cipher(settings.secret_key),
        trust_roots=trust_roots(tuple(settings.trust_roots)),
        timestamp_url=settings.timestamp_url or None,
        seal=seal,
    )


@lru_cache(maxsize=4)
def trust_roots(paths: tuple[Path, ...]) -> tuple[Certificate, ...]:
    return tuple(load_trust_roots(list(paths)))


@lru_cache(maxsize=4)
def _cipher(secret_key: str) -> AtRestCipher:
    return AtRestCipher.from_secret(secret_key, purpose=KEY_PURPOSE)


def get_signing_context(state: StateDep) -> SigningContext:
    return signing_context(state.settings)


SigningContextDep = Annotated[SigningContext, Depends(get_signing_context)]
