"""gensim peer of bench/preprocess/preprocess.mjs: preprocess_string (or simple_preprocess) over a gz NDJSON corpus.

Run: /usr/bin/python3 bench/peers/preprocess.py test/fixtures/corpora/spam-shared.ndjson.gz [default|simple] [PASSES]
Only the preprocessing is timed, single-threaded. PASSES (default 3) passes over all texts, as on the corpusflow side:
prints JSON with the best pass (docs_per_s, seconds; docs_per_cpu_s, cpu_seconds: the least CPU time of a pass)
and the first pass on its own (cold_*).
"""
import gzip
import json
import sys
import time

try:
    from gensim.parsing.preprocessing import preprocess_string
    from gensim.utils import simple_preprocess
except ImportError:
    print(json.dumps({'impl': 'gensim', 'error': 'gensim is missing: install Debian python3-gensim (gensim 4.2) for /usr/bin/python3'}))
    sys.exit(3)

path = sys.argv[1]
mode = sys.argv[2] if len(sys.argv) > 2 else 'default'
passes = int(sys.argv[3]) if len(sys.argv) > 3 else 3
with gzip.open(path, 'rt', encoding='utf8') as f:
    texts = [json.loads(line)['text'] for line in f if line.strip()]
nbytes = sum(len(t.encode('utf8')) for t in texts)
run = simple_preprocess if mode == 'simple' else preprocess_string

walls, cpus = [], []
tokens = 0
for _ in range(passes):
    tokens = 0
    start = time.perf_counter()
    cpu_start = time.process_time()
    for text in texts:
        tokens += len(run(text))
    cpus.append(time.process_time() - cpu_start)
    walls.append(time.perf_counter() - start)
seconds, cpu_seconds = min(walls), min(cpus)
n = len(texts)
print(json.dumps({'impl': 'gensim', 'mode': mode, 'passes': passes, 'docs': n, 'tokens': tokens,
                  'seconds': round(seconds, 3), 'docs_per_s': round(n / seconds),
                  'mb_per_s': round(nbytes / 1e6 / seconds, 2),
                  'cpu_seconds': round(cpu_seconds, 3), 'docs_per_cpu_s': round(n / cpu_seconds),
                  'cold_seconds': round(walls[0], 3), 'cold_docs_per_s': round(n / walls[0]),
                  'cold_cpu_seconds': round(cpus[0], 3), 'cold_docs_per_cpu_s': round(n / cpus[0])}))
