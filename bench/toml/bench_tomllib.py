#!/usr/bin/python3
"""The same measurement with Python's tomllib (the reference the tests
compare values against).  usage: bench_tomllib.py FILE [ITERATIONS]"""
import sys
import time
import tomllib

data = open(sys.argv[1], 'rb').read().decode()
n = int(sys.argv[2]) if len(sys.argv) > 2 else 5
best = float('inf')
for _ in range(n):
    t0 = time.perf_counter()
    tomllib.loads(data)
    best = min(best, time.perf_counter() - t0)
print('python tomllib:   %d bytes, best of %d: %.3f ms, %.1f MB/s' % (
    len(data.encode()), n, best * 1e3, len(data.encode()) / best / 1e6))
