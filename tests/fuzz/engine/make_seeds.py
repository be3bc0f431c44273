#!/usr/bin/env python3
"""Writes seed corpora for the engine fuzz targets from a real data dir.

usage: make_seeds.py DATA_DIR CORPUS_DIR
Small segment files seed fuzz_segment; their records (header and payload)
seed fuzz_record; meta record payloads seed fuzz_log_op; manifests from
meta.db seed fuzz_manifest.
"""
import os
import sqlite3
import struct
import sys

data, out = sys.argv[1], sys.argv[2]
def put(target, name, blob):
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(blob)

seg_dir = os.path.join(data, "segments")
for n, name in enumerate(sorted(os.listdir(seg_dir))):
    b = open(os.path.join(seg_dir, name), "rb").read()
    if len(b) < 4096:
        put("fuzz_segment", f"seg{n}", b)
    off = 40
    while off + 16 <= len(b):
        magic, typ, length = struct.unpack_from("<IB3xI", b, off)
        if magic != 0x31524C53:
            break
        rec = b[off:off + 16 + length]
        if length <= 4096:
            put("fuzz_record", f"rec{n}_{off}", rec)
        if typ == 2:
            put("fuzz_log_op", f"op{n}_{off}", rec[16:])
        off += 16 + length

db = sqlite3.connect(os.path.join(data, "meta.db"))
for i, (m,) in enumerate(db.execute("SELECT manifest FROM versions WHERE manifest IS NOT NULL")):
    if m:
        put("fuzz_manifest", f"m{i}", bytes(m))
