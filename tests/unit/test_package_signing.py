"""The organisation's case package key: given as PEM or a file, made once (0600, public key beside it) at first
start with local storage, required with Azure; a wrong key stops start-up with what to fix."""

from __future__ import annotations

import hashlib
import os
import stat
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bot.config import Settings
from storage import package_signing
from storage.package_signing import (
    DEFAULT_KEY_NAME,
    SigningKeyProblem,
    SigningKeySource,
    load_package_signer,
    public_key_file,
    public_key_pem,
)
from tests.support.signing import TEST_KEY_PEM, TEST_SIGNER


def settings(data_dir: Path, **values: object) -> SigningKeySource:
    """The key's settings as the app reads them (bot.config), handed to storage as plain values."""
    return Settings(_env_file=None, data_dir=data_dir, **values).signing_key_source()  # type: ignore[call-arg]


def test_with_local_storage_a_key_is_made_once_private_and_its_public_key_left_beside_it(tmp_path: Path) -> None:
    previous = os.umask(0o022)
    try:
        first = load_package_signer(settings(tmp_path / "data", organisation_name="Aarhus Kommune"))
    finally:
        os.umask(previous)
    key = tmp_path / "data" / DEFAULT_KEY_NAME
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and stat.S_IMODE(key.parent.stat().st_mode) == 0o700
    assert public_key_file(key).read_bytes() == public_key_pem(first.public_key)
    assert stat.S_IMODE(public_key_file(key).stat().st_mode) == 0o600
    again = load_package_signer(settings(tmp_path / "data"))
    assert again.fingerprint == first.fingerprint and first.signed_by.organisation == "Aarhus Kommune"
    assert again.organisation == "Silkeborg Kommune"  # the default
    assert not [path for path in key.parent.iterdir() if path.name.startswith(".tmp-")]


def test_two_processes_making_the_key_at_once_keep_the_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key = tmp_path / DEFAULT_KEY_NAME
    real_link = os.link

    def another_process_first(source: str, target: Path) -> None:
        if not key.exists():
            target.write_bytes(TEST_KEY_PEM.encode())  # its link landed just before ours
        real_link(source, target)

    monkeypatch.setattr(package_signing.os, "link", another_process_first)
    signer = load_package_signer(settings(tmp_path))
    assert signer.fingerprint == TEST_SIGNER.fingerprint
    assert key.read_bytes() == TEST_KEY_PEM.encode() and not public_key_file(key).exists()


def test_the_fingerprint_is_what_openssl_prints_for_the_public_key(tmp_path: Path) -> None:
    signer = load_package_signer(settings(tmp_path))
    pem = public_key_file(tmp_path / DEFAULT_KEY_NAME)
    try:
        der = subprocess.run(
            ["openssl", "pkey", "-pubin", "-in", str(pem), "-outform", "DER"], capture_output=True, check=True
        ).stdout
    except FileNotFoundError:
        pytest.skip("openssl is not installed")
    assert hashlib.sha256(der).hexdigest() == signer.fingerprint


def test_with_azure_storage_a_key_must_be_given(tmp_path: Path) -> None:
    with pytest.raises(SigningKeyProblem, match="PACKAGE_SIGNING_KEY is empty") as refused:
        load_package_signer(settings(tmp_path, storage_backend="azure"))
    assert "manifest/README.md" in str(refused.value)
    assert not (tmp_path / DEFAULT_KEY_NAME).exists()
    given = load_package_signer(settings(tmp_path, storage_backend="azure", package_signing_key=TEST_KEY_PEM))
    assert given.fingerprint == TEST_SIGNER.fingerprint


def test_the_pem_setting_wins_over_the_file_and_may_be_one_line(tmp_path: Path) -> None:
    (tmp_path / DEFAULT_KEY_NAME).write_text("not used")
    one_line = TEST_KEY_PEM.strip().replace("\n", "\\n")
    signer = load_package_signer(settings(tmp_path, package_signing_key=one_line))
    assert signer.fingerprint == TEST_SIGNER.fingerprint
    file = tmp_path / "from-key-vault" / "vaern.pem"
    file.parent.mkdir()
    file.write_text(TEST_KEY_PEM)
    assert load_package_signer(settings(tmp_path, package_signing_key_file=file)).fingerprint == TEST_SIGNER.fingerprint


def test_a_key_that_is_not_an_unencrypted_ed25519_private_key_is_refused(tmp_path: Path) -> None:
    p256 = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    locked = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.BestAvailableEncryption(b"pw")
    )
    for text, expected in ((p256, "not an Ed25519 key"), (locked, "not an unencrypted PEM"), (b"x", "not an")):
        with pytest.raises(SigningKeyProblem, match=expected):
            load_package_signer(settings(tmp_path, package_signing_key=text.decode()))
    with pytest.raises(SigningKeyProblem, match="cannot be read"):
        load_package_signer(settings(tmp_path, package_signing_key_file=tmp_path))  # a folder
