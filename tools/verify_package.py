"""Verify a Værn case package against its organisation's public key:
`python -m tools.verify_package --public-key vaern-package-signing.pub.pem Sagspakke-VK-2026-0001.zip [more.zip]`.

Checks, and reports every problem it finds (not just the first):
  * manifest.json is signed (manifest.json.sig, Ed25519) by the public key given, whose fingerprint the manifest
    names: only the holder of the organisation's private key can have made this manifest;
  * the ZIP can be read and no name occurs twice;
  * every file listed in manifest.json is in the ZIP with the listed size and SHA-256, and nothing else is;
  * SHA256SUMS lists exactly the manifest's files with the same hashes, plus manifest.json with its real hash.

Prints "OK <n> files (<package>): signed by Værn of <organisation>" and what that proves, and exits 0; or prints
"FAILED" with each problem and exits 1 (2 for usage errors, such as no public key). Hashes alone prove nothing
about where a package came from (anyone can recompute them), so there is no check without the public key.

Needs Python 3.11+ and the `cryptography` package (`pip install cryptography`), not Værn itself. Without Python:
`openssl pkeyutl -verify -pubin -inkey <public key> -rawin -in manifest.json -sigfile manifest.json.sig`, then
`sha256sum -c SHA256SUMS` in the unzipped folder, check the same.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MANIFEST_NAME = "manifest.json"
SHA256SUMS_NAME = "SHA256SUMS"
SIGNATURE_NAME = "manifest.json.sig"
KNOWN = {MANIFEST_NAME, SHA256SUMS_NAME, SIGNATURE_NAME}  # the package's own files, not listed in the manifest
CHUNK = 1024 * 1024
_SUMS_LINE = re.compile(r"^([0-9a-f]{64}) [ *](.+)$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class UsageError(Exception):
    """The public key given cannot be used (missing, unreadable, not Ed25519)."""


@dataclass(frozen=True)
class PublicKey:
    """The organisation's public key, as given on the command line."""

    key: Any  # cryptography's Ed25519PublicKey
    sha256: str  # of its DER SubjectPublicKeyInfo, as `openssl pkey -pubin -outform DER | sha256sum` prints

    @classmethod
    def from_pem(cls, pem: bytes) -> PublicKey:
        try:
            from cryptography.hazmat.primitives import serialization
            from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
        except ImportError as error:
            needed = "checking the signature needs the cryptography package: pip install cryptography"
            raise UsageError(needed) from error
        try:
            key = serialization.load_pem_public_key(pem)
        except (ValueError, TypeError) as error:
            raise UsageError(f"the public key is not a PEM public key ({error})") from error
        if not isinstance(key, Ed25519PublicKey):
            raise UsageError(f"the public key is a {type(key).__name__}, not the Ed25519 key Værn signs with")
        der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        return cls(key, hashlib.sha256(der).hexdigest())

    def signed(self, signature: bytes, data: bytes) -> bool:
        from cryptography.exceptions import InvalidSignature

        try:
            self.key.verify(signature, data)
        except InvalidSignature:
            return False
        return True


@dataclass
class Verification:
    package: Path
    files: int = 0
    problems: list[str] = field(default_factory=list)
    organisation: str = ""  # named in the manifest the key signed; set only when the signature holds
    key_sha256: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.key_sha256)


def _hash_member(archive: zipfile.ZipFile, name: str) -> tuple[str, int]:
    """SHA-256 and size of a member's bytes; zipfile also checks its CRC-32 at the end (BadZipFile if wrong)."""
    digest, size = hashlib.sha256(), 0
    with archive.open(name) as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _parse_sums(text: str, problems: list[str]) -> dict[str, str]:
    sums: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        match = _SUMS_LINE.match(line)
        if match is None:
            problems.append(f"{SHA256SUMS_NAME} line {number}: not '<sha256>  <path>'")
            continue
        sha256, path = match.groups()
        if path in sums:
            problems.append(f"{SHA256SUMS_NAME}: {path} is listed twice")
        sums[path] = sha256
    return sums


def _read_manifest(archive: zipfile.ZipFile, problems: list[str]) -> tuple[bytes, dict] | None:
    try:
        raw = archive.read(MANIFEST_NAME)
        manifest = json.loads(raw.decode("utf-8"))
    except KeyError:
        problems.append(f"{MANIFEST_NAME} is missing")
        return None
    except (ValueError, UnicodeDecodeError, zipfile.BadZipFile) as error:
        problems.append(f"{MANIFEST_NAME} cannot be read: {error}")
        return None
    if not isinstance(manifest, dict):
        problems.append(f"{MANIFEST_NAME} is not a JSON object")
        return None
    return raw, manifest


def _files_of(manifest: dict, problems: list[str]) -> list[dict] | None:
    files = manifest.get("files")
    if not isinstance(files, list) or not all(isinstance(entry, dict) for entry in files):
        problems.append(f"{MANIFEST_NAME} has no list of files")
        return None
    return files


def _check_signature(
    archive: zipfile.ZipFile, raw: bytes, manifest: dict, key: PublicKey, result: Verification
) -> None:
    """manifest.json's exact bytes against manifest.json.sig and the public key given."""
    problems = result.problems
    signer = manifest.get("signed_by")
    named = signer.get("public_key_sha256") if isinstance(signer, dict) else None
    if not isinstance(signer, dict) or signer.get("algorithm") != "Ed25519" or not isinstance(named, str):
        problems.append(f"{MANIFEST_NAME} names no Ed25519 signer: the package is unsigned, nothing proves its origin")
        return
    if named != key.sha256:
        problems.append(
            f"{MANIFEST_NAME} says it is signed by the key with fingerprint {named}, not by the public key you "
            f"gave ({key.sha256})"
        )
    try:
        signature = archive.read(SIGNATURE_NAME)
    except KeyError:
        problems.append(f"{SIGNATURE_NAME} is missing: the package is not signed, nothing proves its origin")
        return
    except (zipfile.BadZipFile, OSError) as error:
        problems.append(f"{SIGNATURE_NAME} cannot be read: {error}")
        return
    if not key.signed(signature, raw):
        problems.append(
            f"{SIGNATURE_NAME}: the signature does not match {MANIFEST_NAME} and the public key you gave: the "
            "manifest was changed after it was signed, or someone else signed it"
        )
        return
    result.key_sha256 = key.sha256
    organisation = signer.get("organisation")
    result.organisation = organisation if isinstance(organisation, str) else ""


def _check_entry(archive: zipfile.ZipFile, entry: dict, names: set[str], problems: list[str]) -> str | None:
    """Check one manifest entry against the bytes in the ZIP; returns its path when the entry is usable."""
    path, sha256, size = entry.get("path"), entry.get("sha256"), entry.get("size")
    if not isinstance(path, str) or not path:
        problems.append(f"{MANIFEST_NAME}: an entry has no path")
        return None
    if not isinstance(sha256, str) or not _SHA256.match(sha256) or not isinstance(size, int):
        problems.append(f"{path}: the manifest entry has no valid sha256 and size")
        return path
    if path not in names:
        problems.append(f"{path}: listed in {MANIFEST_NAME} but missing from the package")
        return path
    try:
        actual_sha256, actual_size = _hash_member(archive, path)
    except (zipfile.BadZipFile, OSError, EOFError) as error:  # a changed byte in the ZIP fails its CRC-32
        problems.append(f"{path}: content is damaged or was changed ({error})")
        return path
    if actual_size != size:
        problems.append(f"{path}: size is {actual_size} bytes, the manifest says {size}")
    if actual_sha256 != sha256:
        problems.append(f"{path}: SHA-256 is {actual_sha256}, the manifest says {sha256}")
    return path


def verify_package(package: Path, public_key: PublicKey) -> Verification:
    """Every check of the module docstring; `ok` only when all hold, the signature included."""
    result = Verification(package)
    problems = result.problems
    try:
        archive = zipfile.ZipFile(package)
    except (zipfile.BadZipFile, OSError) as error:
        problems.append(f"{package}: not a readable ZIP file ({error})")
        return result
    with archive:
        counted = Counter(info.filename for info in archive.infolist())
        problems += [f"{name}: occurs {count} times in the package" for name, count in counted.items() if count > 1]
        names = set(counted)
        read = _read_manifest(archive, problems)
        if read is not None:
            _check_signature(archive, *read, public_key, result)
        entries = _files_of(read[1], problems) if read is not None else None
        try:
            sums_text = archive.read(SHA256SUMS_NAME).decode("utf-8")
        except KeyError:
            problems.append(f"{SHA256SUMS_NAME} is missing")
            sums_text = None
        except (UnicodeDecodeError, zipfile.BadZipFile) as error:
            problems.append(f"{SHA256SUMS_NAME} cannot be read: {error}")
            sums_text = None
        if entries is None:
            return result
        listed: dict[str, str] = {}
        for entry in entries:
            path = _check_entry(archive, entry, names, problems)
            if path is None:
                continue
            if path in listed:
                problems.append(f"{path}: listed twice in {MANIFEST_NAME}")
            listed[path] = str(entry.get("sha256"))
        result.files = len(listed)
        for name in sorted(names - set(listed) - KNOWN):
            problems.append(f"{name}: in the package but not listed in {MANIFEST_NAME}")
        if sums_text is not None:
            _compare_sums(archive, _parse_sums(sums_text, problems), listed, problems)
    return result


def _compare_sums(archive: zipfile.ZipFile, sums: dict[str, str], listed: dict[str, str], problems: list[str]) -> None:
    for path, sha256 in listed.items():
        if path not in sums:
            problems.append(f"{path}: missing from {SHA256SUMS_NAME}")
        elif sums[path] != sha256:
            problems.append(f"{path}: {SHA256SUMS_NAME} and {MANIFEST_NAME} disagree on its SHA-256")
    for path in sorted(set(sums) - set(listed) - {MANIFEST_NAME}):
        problems.append(f"{path}: in {SHA256SUMS_NAME} but not in {MANIFEST_NAME}")
    if MANIFEST_NAME not in sums:
        problems.append(f"{MANIFEST_NAME}: its own SHA-256 is missing from {SHA256SUMS_NAME}")
        return
    try:
        actual, _ = _hash_member(archive, MANIFEST_NAME)
    except (zipfile.BadZipFile, OSError, EOFError, KeyError):
        return  # already reported as unreadable
    if actual != sums[MANIFEST_NAME]:
        problems.append(f"{MANIFEST_NAME}: SHA-256 is {actual}, {SHA256SUMS_NAME} says {sums[MANIFEST_NAME]}")


def _report(result: Verification, argument: str, key: PublicKey) -> None:
    if result.ok:
        print(f"OK {result.files} files ({argument}): signed by Værn of {result.organisation}")
        print(
            f"  proved: {MANIFEST_NAME} is signed by the public key you gave (SHA-256 fingerprint {key.sha256}); "
            f"each of the {result.files} files it lists is in the package with the size and SHA-256 it gives, and "
            f"nothing else is; {SHA256SUMS_NAME} agrees."
        )
        print(
            "  not proved: that this key is the organisation's (compare its fingerprint with the one they "
            "publish), nor that what the files show is true."
        )
        return
    print(f"FAILED {argument}: {len(result.problems)} problem(s); this package proves nothing")
    for problem in result.problems:
        print(f"  {problem}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.verify_package", description=__doc__.strip().splitlines()[0].rstrip(":")
    )
    parser.add_argument(
        "--public-key",
        type=Path,
        help="the organisation's public key for case packages (PEM), e.g. vaern-package-signing.pub.pem",
    )
    parser.add_argument("packages", nargs="+", type=Path, metavar="package.zip")
    try:
        arguments = parser.parse_args(sys.argv[1:] if argv is None else argv)
    except SystemExit as stopped:  # --help, or arguments argparse has already explained
        return 2 if stopped.code else 0
    if arguments.public_key is None:
        print(
            "give --public-key <file.pem>: the organisation's public key for case packages. Hashes alone prove "
            "nothing about who made a package, since anyone can recompute them.",
            file=sys.stderr,
        )
        return 2
    try:
        key = PublicKey.from_pem(arguments.public_key.read_bytes())
    except OSError as error:
        print(f"cannot read the public key {arguments.public_key}: {error}", file=sys.stderr)
        return 2
    except UsageError as error:
        print(f"{arguments.public_key}: {error}", file=sys.stderr)
        return 2
    failed = False
    for package in arguments.packages:
        result = verify_package(package, key)
        _report(result, str(package), key)
        failed = failed or not result.ok
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
