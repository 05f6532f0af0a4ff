"""Small, real evidence files for tests: a PNG screenshot, a JPEG photo, and bytes that only pretend."""

from __future__ import annotations

import struct
import zlib


def png_screenshot(width: int = 64, height: int = 40, shade: int = 200) -> bytes:
    """A valid PNG image (grey rectangle) as a phone screenshot would be, only smaller."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = b"".join(b"\x00" + bytes([shade]) * width for _ in range(height))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def jpeg_photo(size: int = 3000) -> bytes:
    """JPEG markers around filler bytes: enough for content sniffing, as a real camera file starts."""
    header = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    return header + bytes(range(256)) * (size // 256) + b"\xff\xd9"


def windows_executable() -> bytes:
    header = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
    return header + b"\x00" * 200 + b"This program cannot be run in DOS mode"
