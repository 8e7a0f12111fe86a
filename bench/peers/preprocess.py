"""gensim peer of bench/preprocess/preprocess.mjs: preprocess_string (or simple_preprocess) over a gz NDJSON corpus.

Run: /usr/bin/python3 bench/peers/preprocess.py test/fixtures/corpora/spam-shared.ndjson.gz [default|simple]
Prints JSON {docs, tokens, seconds, docs_per_s, mb_per_s, cpu_seconds, docs_per_cpu_s}; only the preprocessing is timed, single-threaded.
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
with gzip.open(path, 'rt', encoding='utf8') as f:
    texts = [json.loads(line)['text'] for line in f if line.strip()]
nbytes = sum(len(t.encode('utf8')) for t in texts)
run = simple_preprocess if mode == 'simple' else preprocess_string

tokens = 0
start = time.perf_counter()
cpu_start = time.process_time()
for text in texts:
    tokens += len(run(text))
cpu_seconds = time.process_time() - cpu_start
seconds = time.perf_counter() - start
print(json.dumps({'impl': 'gensim', 'mode': mode, 'docs': len(texts), 'tokens': tokens,
                  'seconds': round(seconds, 3), 'docs_per_s': round(len(texts) / seconds),
                  'mb_per_s': round(nbytes / 1e6 / seconds, 2),
                  'cpu_seconds': round(cpu_seconds, 3), 'docs_per_cpu_s': round(len(texts) / cpu_seconds)}))
