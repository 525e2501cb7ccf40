#!/usr/bin/python3
"""Writes ringsim's small synthetic key traces, one per format, with a fixed seed.

  scripts/make-traces.py [--out DIR] [--requests N] [--no-zstd]

DIR (default experiments/data) gets:
  sample-lines.txt      one key per line (keys.format = "lines")
  sample-twitter.csv    the Twitter cache-trace CSV: timestamp, anonymized key,
                        key size, value size, client id, operation, TTL
  sample-oracle.bin     libCacheSim oracleGeneral: 24-byte little-endian records
                        (uint32 timestamp, uint64 object id, uint32 object size,
                        int64 next access virtual time, -1 for none)
  each of them again as NAME.zst (the zstd command; skipped with --no-zstd)
  NAME.keys             the trace's distinct keys in order of first appearance,
                        one per line, as a lines trace names them: ringsim reads
                        the same keys from NAME (tests/unit/test_trace_formats.cpp)

The requests follow a Zipf popularity (exponent 0.9) over a fixed object set,
with heavy-tailed value sizes (lognormal body, Pareto tail); the same seed gives
the same bytes on every machine.
"""

import argparse
import bisect
import math
import os
import random
import shutil
import struct
import subprocess
import sys

SEED = 20260
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
OPS = ["get"] * 70 + ["gets"] * 5 + ["set"] * 15 + ["add"] * 2 + ["replace"] * 1 + \
      ["cas"] * 1 + ["append"] * 1 + ["prepend"] * 1 + ["delete"] * 2 + ["incr"] * 1 + ["decr"] * 1


def zipf_sampler(rng, n, exponent):
    """Object ranks 0..n-1, rank r drawn with probability proportional to 1/(r+1)^s."""
    cum, total = [], 0.0
    for r in range(n):
        total += (r + 1) ** -exponent
        cum.append(total)
    return lambda: min(n - 1, bisect.bisect_left(cum, rng.random() * total))


def value_size(rng):
    """Heavy-tailed value sizes in bytes: a lognormal body, a Pareto(1.2) tail."""
    if rng.random() < 0.9:
        return max(1, min(1 << 20, int(rng.lognormvariate(math.log(300), 1.0))))
    return min(1 << 20, int(2000 * rng.paretovariate(1.2)))


def first_appearance(keys):
    seen, out = set(), []
    for k in keys:
        if k not in seen:
            seen.add(k)
            out.append(k)
    return out


def write_keys(path, keys):
    with open(path, "w", encoding="ascii", newline="\n") as f:
        for k in first_appearance(keys):
            f.write(f"{k}\n")


def make_lines(rng, n):
    """A web cache's keys: user profiles, sessions, thumbnails and bare ids."""
    objects = 4000
    draw = zipf_sampler(rng, objects, 0.9)
    names = []
    for i in range(objects):
        kind = rng.randrange(4)
        ident = rng.randrange(10 ** 7)
        names.append([f"user:{ident}:profile", f"session:{ident:x}", f"thumb/{ident}.jpg",
                      str(ident * 7919)][kind])
    return [names[draw()] for _ in range(n)]


def make_twitter(rng, n):
    objects = 3000
    draw = zipf_sampler(rng, objects, 0.9)
    spaces = ["nz:u", "tw:t", "ad:c", "tl"]
    keys, sizes = [], []
    for i in range(objects):
        body = "".join(rng.choice(ALPHABET) for _ in range(rng.randrange(10, 24)))
        keys.append(f"{rng.choice(spaces)}:{body}")
        sizes.append(value_size(rng))
    rows, t = [], 1585699200  # 2020-04-01
    for _ in range(n):
        t += 1 if rng.random() < 0.05 else 0
        obj = draw()
        op = rng.choice(OPS)
        write = op not in ("get", "gets", "delete")
        ttl = rng.choice([300, 3600, 86400]) if write else 0
        if op == "set" and rng.random() < 0.1:
            sizes[obj] = value_size(rng)  # an object rewritten with another size
        key = keys[obj]
        rows.append((t, key, len(key), sizes[obj], rng.randrange(1, 40), op, ttl))
    return rows


def make_oracle(rng, n):
    objects = 2500
    draw = zipf_sampler(rng, objects, 0.9)
    ids = [rng.getrandbits(64) for _ in range(objects)]
    sizes = [value_size(rng) for _ in range(objects)]
    reqs, t = [], 1000
    for _ in range(n):
        t += rng.randrange(0, 3)
        obj = draw()
        reqs.append((t, ids[obj], sizes[obj]))
    # Next access: the index (virtual time) of the object's next request, -1 if none.
    nxt, last = [-1] * n, {}
    for i in range(n - 1, -1, -1):
        nxt[i] = last.get(reqs[i][1], -1)
        last[reqs[i][1]] = i
    return [(t, oid, size, nxt[i]) for i, (t, oid, size) in enumerate(reqs)]


def compress(path):
    if shutil.which("zstd") is None:
        sys.exit("make-traces: the zstd command is missing (Debian package zstd), or pass --no-zstd")
    subprocess.run(["zstd", "-q", "-f", "-19", path, "-o", path + ".zst"], check=True)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(here, "..", "experiments", "data"))
    ap.add_argument("--requests", type=int, default=10000)
    ap.add_argument("--no-zstd", action="store_true")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    written = []

    lines = make_lines(random.Random(SEED), a.requests)
    p = os.path.join(a.out, "sample-lines.txt")
    with open(p, "w", encoding="ascii", newline="\n") as f:
        f.writelines(k + "\n" for k in lines)
    write_keys(p + ".keys", lines)
    written.append(p)

    rows = make_twitter(random.Random(SEED + 1), a.requests)
    p = os.path.join(a.out, "sample-twitter.csv")
    with open(p, "w", encoding="ascii", newline="\n") as f:
        f.writelines(",".join(str(x) for x in r) + "\n" for r in rows)
    write_keys(p + ".keys", [r[1] for r in rows])
    written.append(p)

    recs = make_oracle(random.Random(SEED + 2), a.requests)
    p = os.path.join(a.out, "sample-oracle.bin")
    with open(p, "wb") as f:
        for r in recs:
            f.write(struct.pack("<IQIq", *r))
    write_keys(p + ".keys", [r[1] for r in recs])
    written.append(p)

    if not a.no_zstd:
        for p in written:
            compress(p)
    for p in written:
        print(f"make-traces: {p} ({os.path.getsize(p)} bytes)")


if __name__ == "__main__":
    main()
