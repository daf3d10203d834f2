"""Writes 8-bit grayscale or RGB PNG files with the standard library (zlib),
for the image models' test pictures: no imaging package is installed next
to Debian's python3-torch."""

import struct
import zlib

import numpy as np


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (struct.pack(">I", len(data)) + kind + data +
            struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def png_bytes(pixels: np.ndarray) -> bytes:
    """pixels: uint8 [H, W] (grayscale) or [H, W, 3] (RGB)."""
    if pixels.dtype != np.uint8 or pixels.ndim not in (2, 3):
        raise ValueError("expected uint8 [H, W] or [H, W, 3]")
    height, width = pixels.shape[:2]
    colour_type = 0 if pixels.ndim == 2 else 2
    if pixels.ndim == 3 and pixels.shape[2] != 3:
        raise ValueError("expected 3 channels")
    rows = pixels.reshape(height, -1)
    # Filter type 0 (None) before every row.
    raw = b"".join(b"\x00" + row.tobytes() for row in rows)
    header = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) +
            _chunk(b"IDAT", zlib.compress(raw, 9)) + _chunk(b"IEND", b""))


def write_png(path: str, pixels: np.ndarray):
    with open(path, "wb") as f:
        f.write(png_bytes(pixels))


def bomb_png(width: int, height: int) -> bytes:
    """A small, well-formed PNG header declaring width x height RGB pixels,
    with a tiny compressed stream: a decompression-bomb probe for tests."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) +
            _chunk(b"IDAT", zlib.compress(b"\x00" * 4096, 9)) +
            _chunk(b"IEND", b""))
