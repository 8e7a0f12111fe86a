"""gensim peer for bench/dictionary/dictionary.mjs: Dictionary(tokens) + filter_extremes().

Reads already-tokenised documents ({"id", "tokens"} NDJSON, optionally .gz), then
times only building the dictionary and filter_extremes (file reading and JSON
parsing are excluded, as on the corpusflow side). Prints one JSON line:
{"tool", "docs", "seconds", "docs_per_s", "cpu_seconds", "size"}: the best
wall-clock and the best process CPU time of --repeat runs (CPU time is the
steadier figure on a shared machine).

Usage: python3 bench/peers/dictionary.py TOKENS.ndjson[.gz] [--repeat N]
"""
import gzip
import json
import sys
import time

from gensim.corpora import Dictionary


def main():
    args = sys.argv[1:]
    repeat = 3
    if '--repeat' in args:
        i = args.index('--repeat')
        repeat = int(args[i + 1])
        del args[i:i + 2]
    path = args[0]
    opener = gzip.open if path.endswith('.gz') else open
    with opener(path, 'rt', encoding='utf-8') as f:
        docs = [json.loads(line)['tokens'] for line in f if line.strip()]
    best = float('inf')
    best_cpu = float('inf')
    size = 0
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        d = Dictionary(docs)
        d.filter_extremes(no_below=5, no_above=0.5, keep_n=100000)
        best = min(best, time.perf_counter() - start)
        best_cpu = min(best_cpu, time.process_time() - start_cpu)
        size = len(d)
    print(json.dumps({'tool': 'gensim', 'docs': len(docs), 'seconds': round(best, 6),
                      'docs_per_s': round(len(docs) / best, 1), 'cpu_seconds': round(best_cpu, 6), 'size': size}))


if __name__ == '__main__':
    main()
