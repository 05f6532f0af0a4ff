"""The organisation's key that signs case packages (Ed25519): its manifest.json is signed, so whoever holds the
public key can tell a package Værn built from one whose files, hashes and manifest were all replaced.

Rules kept here:
  * the key is the organisation's, never Værn's: PACKAGE_SIGNING_KEY (the PEM itself, e.g. an App Service Key
    Vault reference) wins over the file PACKAGE_SIGNING_KEY_FILE (default DATA_DIR/package-signing-key.pem);
  * with local storage and no key yet, one is made at first start (0600, create-only: gunicorn workers starting
    together keep the one that was linked first) with its public key beside it (`.pub.pem`) to hand out;
  * with Azure storage a key must be given (each machine would otherwise make its own): start-up refuses;
  * the fingerprint is the SHA-256 of the public key's DER SubjectPublicKeyInfo, which
    `openssl pkey -pubin -in key.pub.pem -outform DER | sha256sum` prints too.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from domain.case_package import ManifestSigner
from storage.private_files import create_private, make_private_folder, write_private

log = logging.getLogger("vaern.signing")

DEFAULT_KEY_NAME = "package-signing-key.pem"


class SigningKeyProblem(Exception):
    """The signing key is missing, unreadable or not an Ed25519 private key."""


def public_key_sha256(public_key: Ed25519PublicKey) -> str:
    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()


def public_key_pem(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


@dataclass(frozen=True)
class PackageSigner:
    """Signs manifests with the organisation's private key."""

    private_key: Ed25519PrivateKey
    organisation: str

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.private_key.public_key()

    @property
    def fingerprint(self) -> str:
        return public_key_sha256(self.public_key)

    @property
    def signed_by(self) -> ManifestSigner:
        return ManifestSigner(organisation=self.organisation, public_key_sha256=self.fingerprint)

    def sign(self, data: bytes) -> bytes:
        return self.private_key.sign(data)


@dataclass(frozen=True)
class SigningKeySource:
    """Where the organisation's key comes from (plain values from bot.config.Settings.signing_key_source)."""

    organisation: str
    key_pem: str  # the PEM itself; wins over the file when given
    key_file: Path  # read, or made at first start when `make_if_missing`
    make_if_missing: bool  # only with local storage: Azure needs the organisation's own key


def public_key_file(key_path: Path) -> Path:
    """Where a key made at first start leaves its public key: beside it, `.pub.pem`."""
    return key_path.with_name(key_path.name.removesuffix(".pem") + ".pub.pem")


def load_package_signer(source: SigningKeySource) -> PackageSigner:
    """The signer from the settings (see the module docstring); SigningKeyProblem says what to fix."""
    text = source.key_pem.strip()
    if text:
        if "\\n" in text and "\n" not in text:  # one-line environment values
            text = text.replace("\\n", "\n")
        key = _private_key(text.encode(), "PACKAGE_SIGNING_KEY")
    else:
        path = source.key_file
        if not path.exists():
            if not source.make_if_missing:
                raise SigningKeyProblem(
                    f"no key to sign case packages: PACKAGE_SIGNING_KEY is empty and {path} does not exist. With "
                    "STORAGE_BACKEND=azure give the organisation's key (PACKAGE_SIGNING_KEY from Key Vault, or "
                    "PACKAGE_SIGNING_KEY_FILE), as manifest/README.md describes"
                )
            _create_key(path)
        try:
            data = path.read_bytes()
        except OSError as error:
            raise SigningKeyProblem(f"the case package signing key {path} cannot be read ({error})") from error
        key = _private_key(data, str(path))
    signer = PackageSigner(key, source.organisation)
    log.info("case packages are signed for %s by key %s", signer.organisation, signer.fingerprint)
    return signer


def _private_key(data: bytes, source: str) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as error:
        raise SigningKeyProblem(f"{source} is not an unencrypted PEM private key ({error})") from error
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyProblem(f"{source} is a {type(key).__name__}, not an Ed25519 key")
    return key


def _create_key(path: Path) -> None:
    """A new key at `path` (0600) and its public key beside it, unless another process made one first."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    make_private_folder(path.parent)
    temporary = path.with_name(f".tmp-{os.urandom(8).hex()}-{path.name}")
    descriptor = create_private(temporary)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(pem)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)  # never replaces a key: the first process to link wins
        except FileExistsError:
            return
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
    public = public_key_file(path)
    write_private(public, public_key_pem(key.public_key()))
    log.warning(
        "made a new key to sign case packages at %s; hand its public key (%s, fingerprint %s) to whoever verifies "
        "packages. In production use the organisation's own key (manifest/README.md)",
        path,
        public,
        public_key_sha256(key.public_key()),
    )
