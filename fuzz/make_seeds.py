#!/usr/bin/env python3
"""Writes seed inputs for the track and volume fuzz targets from real
Hercules CKD images (single-file, 3390 or 3380).

  fuzz/make_seeds.py NAME IMAGE [NAME IMAGE ...]

For each image: corpus/volume/NAME (track 0 and the VTOC tracks, in the
volume target's chunk format) and corpus/track/NAME-tN (those tracks, one
empty track and the first two data tracks, in the track target's format). The checked-in seeds were made from `pas volume init`,
`pas volume init --vtoc`, `pas demo` and Hercules dasdinit/dasdload images.
"""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def used_length(slot):
    """Bytes through the end-of-track marker, 0 if malformed."""
    pos = 5
    while pos + 8 <= len(slot):
        if slot[pos:pos + 8] == b"\xff" * 8:
            return pos + 8
        kl = slot[pos + 5]
        dl = struct.unpack(">H", slot[pos + 6:pos + 8])[0]
        pos += 8 + kl + dl
    return 0


def main(args):
    for name, path in zip(args[0::2], args[1::2]):
        with open(path, "rb") as f:
            hdr = f.read(512)
            heads, trksize, devtyp = struct.unpack("<IIB", hdr[8:17])
            chunks = []
            data_tracks = 0
            empty_seen = False
            track = 0
            while True:
                slot = f.read(trksize)
                if len(slot) < trksize:
                    break
                n = used_length(slot)
                body = slot[:n]
                empty = n == 5 + 8 + 8 + 8
                # Track 0 or a VTOC track (the record after R0 has a 44-byte key).
                label_or_vtoc = n > 0 and (track == 0 or (n > 5 + 16 + 8 and slot[26] == 44))
                keep = label_or_vtoc
                if n > 0 and empty and not empty_seen:
                    keep = empty_seen = True
                if n > 0 and not empty and not label_or_vtoc and data_tracks < 2:
                    keep = True
                    data_tracks += 1
                if keep:
                    flags = 1 if devtyp == 0x80 else 0
                    with open(os.path.join(HERE, "corpus/track", "%s-t%d" % (name, track)), "wb") as t:
                        t.write(bytes([flags]) + struct.pack(">H", track) + body)
                if label_or_vtoc:
                    chunks.append(struct.pack(">HH", track, n) + body)
                track += 1
            if devtyp == 0x90:
                with open(os.path.join(HERE, "corpus/volume", name), "wb") as v:
                    v.write(b"".join(chunks))


if __name__ == "__main__":
    main(sys.argv[1:])
