"""Images that are huge in pixels and tiny in bytes, made without holding them in memory: what
a hostile upload or input file looks like (one colour compresses about 1000:1 in a PNG)."""

from __future__ import annotations

import struct
import zlib


def one_colour_png(width: int, height: int) -> bytes:
    """A valid black-and-white PNG of width x height black pixels (bit depth 1), compressed row
    band by row band: 12000x12000 is 18 KB and takes a few MB to make, not the 144 MB a decoder
    needs for it (PIL keeps a byte a pixel) nor the gigabytes once it is float RGB."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = b"\x00" * (1 + (width + 7) // 8)  # each row: filter type 0, then the row's bits
    band = 256
    compressor = zlib.compressobj(9)
    compressed = [compressor.compress(row * min(band, height - top)) for top in range(0, height, band)]
    compressed.append(compressor.flush())
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # bit depth 1, grayscale
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", b"".join(compressed)) + chunk(b"IEND", b"")
