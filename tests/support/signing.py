"""A signing key for case packages in tests (the organisation's key in production), and its public key for the
verifier: `verify(path)` checks a package as `python -m tools.verify_package --public-key` would."""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from storage.package_signing import PackageSigner, public_key_pem
from tools.verify_package import PublicKey, Verification, verify_package

ORGANISATION = "Silkeborg Kommune"
TEST_KEY = Ed25519PrivateKey.generate()
TEST_SIGNER = PackageSigner(TEST_KEY, ORGANISATION)
TEST_KEY_PEM = TEST_KEY.private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
).decode()
TEST_PUBLIC_PEM = public_key_pem(TEST_KEY.public_key())


def verify(package: Path, public_pem: bytes = TEST_PUBLIC_PEM) -> Verification:
    return verify_package(package, PublicKey.from_pem(public_pem))


def write_public_key(folder: Path, public_pem: bytes = TEST_PUBLIC_PEM) -> Path:
    path = folder / "package-signing.pub.pem"
    path.write_bytes(public_pem)
    return path
