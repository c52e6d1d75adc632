#!/usr/bin/env python3
"""Adds media files to a device the way the editor adds them, with the real Anki client.

    media_fill.py --device PATH --count 500 --min-bytes 102400 --max-bytes 102400 --seed 1 --prefix big

Used by bench/media-sync.bench.ts. COUNT files named `<prefix>-00000.bin` … with random
(incompressible) content of MIN..MAX bytes, all from a fixed seed, so every run and every device
gets the same bytes. Each file goes through `col.media.write_data` (what pasting a file into the
editor does): the client stores it in the media folder and records it in its media database as
pending upload. The device must not be open elsewhere (the client holds collections with an
exclusive lock). Prints one JSON object: count, total bytes, the names the client chose, seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time

os.environ.setdefault("RUST_LOG", "error")

from anki.collection import Collection  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--device", required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--min-bytes", type=int, required=True)
    parser.add_argument("--max-bytes", type=int, required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--prefix", default="bench")
    args = parser.parse_args()
    started = time.monotonic()
    rng = random.Random(args.seed)
    col = Collection(os.path.abspath(args.device))
    total = 0
    renamed = 0
    try:
        for i in range(args.count):
            size = rng.randint(args.min_bytes, args.max_bytes)
            name = f"{args.prefix}-{i:05d}.bin"
            used = col.media.write_data(name, rng.randbytes(size))
            if used != name:
                renamed += 1
            total += size
    finally:
        col.close()
    print(
        json.dumps(
            {
                "count": args.count,
                "bytes": total,
                "renamed": renamed,
                "seconds": round(time.monotonic() - started, 2),
            }
        )
    )
    return 0 if renamed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
