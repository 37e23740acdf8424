"""Tiny real recordings for tests: a WAV every browser decodes, and MP3 frames as an importer sees them."""

from __future__ import annotations

import math
import struct


def wav(seconds: float = 0.5, rate: int = 8000) -> bytes:
    """A mono 16-bit PCM WAV of a 440 Hz tone."""
    frames = b"".join(
        struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / rate))) for i in range(int(seconds * rate))
    )
    fmt = struct.pack("<HHIIHH", 1, 1, rate, rate * 2, 2, 16)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(frames)) + frames
    return b"RIFF" + struct.pack("<I", len(body)) + body


def mp3(frames: int = 3) -> bytes:
    """An ID3v2 tag and silent MPEG-1 Layer III frames (128 kbit/s, 44.1 kHz: 417 bytes each)."""
    return b"ID3\x03\x00\x00\x00\x00\x00\x00" + (b"\xff\xfb\x90\x00" + bytes(413)) * frames
