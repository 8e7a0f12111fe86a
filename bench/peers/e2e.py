#!/usr/bin/env python3
"""gensim + PyTorch peer for corpusflow's end-to-end benchmark.

Raw NDJSON text in, a trained ProdLDA out, streaming the file the way a
gensim + PyTorch user would:
  pass 1: read the file, gensim preprocess_string (DEFAULT_FILTERS) each
          text, Dictionary over the token stream, filter_extremes;
  pass 2: N epochs; each epoch re-reads the file through a torch
          IterableDataset (preprocess_string + doc2bow + dense row), with a
          seeded bounded shuffle buffer of sparse bags of words, batches
          via DataLoader, and trains the same ProdLDA as prodlda.py (Adam
          2e-3, beta1 0.99).
With --workers 1 (the default) the DataLoader prepares batches in a second
process while the main one trains, so both cores are used.

Prints one JSON line last: {"docs", "seconds", "docs_per_s", ...}, where docs
counts training documents over all epochs and seconds covers both passes.

Usage:
  python3 bench/peers/e2e.py --input bench/data/spam-full.ndjson --epochs 10 --threads 2
"""

import argparse
import json
import os
import random
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from prodlda import ProdLDA, make_optimizer, open_text, peak_rss_mb  # noqa: E402


def iter_texts(path, field):
    """Yields the text of each record, skipping blank lines and records without a string text."""
    with open_text(path) as f:
        for line in f:
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError:
                continue
            text = record.get(field) if isinstance(record, dict) else None
            if isinstance(text, str):
                yield text


class StreamingBow(torch.utils.data.IterableDataset):
    """Streams dense BoW rows from the raw file, re-reading it every epoch."""

    def __init__(self, path, field, dictionary, shuffle, seed):
        super().__init__()
        self.path = path
        self.field = field
        self.dictionary = dictionary
        self.vocab = len(dictionary)
        self.shuffle = shuffle
        self.seed = seed
        self.epoch = 0

    def _bows(self):
        from gensim.parsing.preprocessing import preprocess_string
        for text in iter_texts(self.path, self.field):
            yield self.dictionary.doc2bow(preprocess_string(text))

    def _dense(self, bow):
        x = torch.zeros(self.vocab, dtype=torch.float32)
        if bow:
            ids, counts = zip(*bow)
            x[list(ids)] = torch.tensor(counts, dtype=torch.float32)
        return x

    def __iter__(self):
        bows = self._bows()
        if self.shuffle <= 1:
            for bow in bows:
                yield self._dense(bow)
            return
        # Bounded shuffle buffer, as tf.data: seeded, different each epoch. It
        # holds sparse bags of words; rows are densified only on the way out.
        rng = random.Random(self.seed + self.epoch)
        buffer = []
        for bow in bows:
            if len(buffer) < self.shuffle:
                buffer.append(bow)
                continue
            i = rng.randrange(len(buffer))
            buffer[i], bow = bow, buffer[i]
            yield self._dense(bow)
        rng.shuffle(buffer)
        for bow in buffer:
            yield self._dense(bow)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--input', required=True, help='raw NDJSON(.gz) corpus')
    p.add_argument('--text-field', default='text')
    p.add_argument('--epochs', type=int, default=10)
    p.add_argument('--topics', type=int, default=20)
    p.add_argument('--batch', type=int, default=64)
    p.add_argument('--shuffle', type=int, default=10000, help='shuffle buffer size (docs)')
    p.add_argument('--no-below', type=int, default=5)
    p.add_argument('--no-above', type=float, default=0.5)
    p.add_argument('--keep-n', type=int, default=100000)
    p.add_argument('--threads', type=int, default=1, help='torch.set_num_threads in the training process')
    p.add_argument('--workers', type=int, default=1, help='DataLoader worker processes (0 = prepare batches inline)')
    p.add_argument('--seed', type=int, default=1)
    args = p.parse_args(argv)

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    from gensim.corpora import Dictionary
    from gensim.parsing.preprocessing import preprocess_string

    started = time.perf_counter()
    dictionary = Dictionary(preprocess_string(t) for t in iter_texts(args.input, args.text_field))
    corpus_docs = dictionary.num_docs
    dictionary.filter_extremes(no_below=args.no_below, no_above=args.no_above, keep_n=args.keep_n)
    pass1_seconds = time.perf_counter() - started

    dataset = StreamingBow(args.input, args.text_field, dictionary, args.shuffle, args.seed)
    model = ProdLDA(len(dictionary), topics=args.topics)
    optimizer = make_optimizer(model)
    model.train()
    docs = 0
    loss_value = float('nan')
    for epoch in range(args.epochs):
        dataset.epoch = epoch  # picked up by the worker, which is forked afresh each epoch
        loader = torch.utils.data.DataLoader(dataset, batch_size=args.batch, num_workers=args.workers)
        total, batches = 0.0, 0
        for x in loader:
            optimizer.zero_grad()
            loss = model(x)
            loss.backward()
            optimizer.step()
            total += loss.item()
            batches += 1
            docs += x.shape[0]
        loss_value = total / max(batches, 1)
    seconds = time.perf_counter() - started

    print(json.dumps({
        'docs': docs,
        'seconds': round(seconds, 4),
        'docs_per_s': round(docs / seconds, 2) if seconds > 0 else None,
        'pass1_seconds': round(pass1_seconds, 4),
        'epochs': args.epochs,
        'corpus_docs': corpus_docs,
        'vocab': len(dictionary),
        'topics': args.topics,
        'batch': args.batch,
        'threads': args.threads,
        'workers': args.workers,
        'seed': args.seed,
        'final_epoch_loss': round(loss_value, 4),
        'peak_rss_mb': round(peak_rss_mb(), 1),  # this process only; the harness measures the whole tree
    }))
    return 0


if __name__ == '__main__':
    sys.exit(main())
