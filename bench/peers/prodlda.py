#!/usr/bin/env python3
"""PyTorch peer for corpusflow's ProdLDA training benchmark.

The common tutorial form of ProdLDA (Srivastava & Sutton 2017, AVITM): dense
bag-of-words input, a 2x100 softplus encoder with dropout 0.2, a Laplace
approximation of the symmetric Dirichlet prior, batch-normalised mu and logvar
(scale fixed to 1, as in the reference implementation), dropout on theta, a
bias-free decoder beta [topics, vocab] with Xavier-uniform initialisation
followed by a batch norm without affine parameters (the CTM/OCTIS ProdLDA
decoder, which corpusflow's ProdLDA also uses), Adam lr 2e-3 beta1 0.99,
batch 64.

Trains on a pre-tokenised NDJSON corpus (bbc-news: text split on spaces, the
dictionary left unfiltered) and prints one JSON line last:
{"docs", "seconds", "docs_per_s", ...}. `seconds` covers the training epochs
only (not reading the file or building the dense matrix), as on our side.

Usage:
  python3 bench/peers/prodlda.py --input bench/data/bbc-news.ndjson --epochs 10 --threads 2
  python3 bench/peers/prodlda.py --input ... --epochs 100 --npmi   # quality: gensim c_npmi of the topics

e2e.py imports ProdLDA and make_optimizer from this file.
"""

import argparse
import gzip
import json
import math
import resource
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def open_text(path):
    """Opens a UTF-8 text file, gunzipping when the name ends in .gz."""
    if path.endswith('.gz'):
        return gzip.open(path, 'rt', encoding='utf-8')
    return open(path, 'r', encoding='utf-8')


def peak_rss_mb():
    """This process's peak RSS (Linux reports ru_maxrss in kB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def fixed_scale_bn(size):
    """Batch norm whose scale stays 1 (only the shift is learnt), as in AVITM."""
    bn = nn.BatchNorm1d(size)
    bn.weight.data.fill_(1.0)
    bn.weight.requires_grad = False
    return bn


class ProdLDA(nn.Module):
    """ProdLDA: a VAE whose decoder is a product of experts over topics."""

    def __init__(self, vocab_size, topics=20, hidden=(100, 100), dropout=0.2, alpha=1.0):
        super().__init__()
        self.topics = topics
        layers = []
        width = vocab_size
        for h in hidden:
            layers.append(nn.Linear(width, h))
            width = h
        self.encoder = nn.ModuleList(layers)
        self.encoder_drop = nn.Dropout(dropout)
        self.mu = nn.Linear(width, topics)
        self.logvar = nn.Linear(width, topics)
        self.mu_bn = fixed_scale_bn(topics)
        self.logvar_bn = fixed_scale_bn(topics)
        self.theta_drop = nn.Dropout(dropout)
        # The decoder as in CTM/OCTIS: beta [topics, vocab] without bias, batch norm without affine parameters.
        self.beta = nn.Parameter(torch.empty(topics, vocab_size))
        nn.init.xavier_uniform_(self.beta)
        self.beta_bn = nn.BatchNorm1d(vocab_size, affine=False)
        # Laplace approximation of a symmetric Dirichlet(alpha) in the softmax basis.
        a = torch.full((topics,), float(alpha))
        prior_mean = a.log() - a.log().mean()
        prior_var = (1.0 / a) * (1.0 - 2.0 / topics) + (1.0 / a).sum() / (topics * topics)
        self.register_buffer('prior_mean', prior_mean)
        self.register_buffer('prior_var', prior_var)
        self.register_buffer('prior_logvar', prior_var.log())

    def forward(self, x):
        """Returns the mean negative ELBO over the batch (reconstruction + KL)."""
        h = x
        for layer in self.encoder:
            h = F.softplus(layer(h))
        h = self.encoder_drop(h)
        mu = self.mu_bn(self.mu(h))
        logvar = self.logvar_bn(self.logvar(h))
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
        theta = self.theta_drop(F.softmax(z, dim=1))
        log_p = F.log_softmax(self.beta_bn(theta @ self.beta), dim=1)
        reconstruction = -(x * log_p).sum(1)
        var = logvar.exp()
        kl = 0.5 * ((var / self.prior_var).sum(1)
                    + ((mu - self.prior_mean) ** 2 / self.prior_var).sum(1)
                    - self.topics
                    + self.prior_logvar.sum() - logvar.sum(1))
        return (reconstruction + kl).mean()

    def topic_words(self, id2token, topn):
        """Top words per topic from the decoder weights (topics x vocab)."""
        weights = self.beta.detach()  # [topics, vocab]
        out = []
        for k in range(self.topics):
            top = torch.topk(weights[k], topn).indices.tolist()
            out.append([id2token[i] for i in top])
        return out


def make_optimizer(model, lr=2e-3, beta1=0.99, beta2=0.999):
    return torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=lr, betas=(beta1, beta2))


def read_tokenised(path, field):
    """Reads a pre-tokenised corpus: each record's text split on whitespace."""
    texts = []
    with open_text(path) as f:
        for line in f:
            if line.strip():
                texts.append(json.loads(line)[field].split())
    return texts


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--input', required=True, help='NDJSON(.gz) corpus whose text is already tokenised')
    p.add_argument('--text-field', default='text')
    p.add_argument('--epochs', type=int, default=10)
    p.add_argument('--topics', type=int, default=20)
    p.add_argument('--batch', type=int, default=64)
    p.add_argument('--threads', type=int, default=1, help='torch.set_num_threads')
    p.add_argument('--seed', type=int, default=1)
    p.add_argument('--npmi', action='store_true', help='after training, score the topics with gensim c_npmi over the corpus')
    args = p.parse_args(argv)

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    from gensim.corpora import Dictionary

    texts = read_tokenised(args.input, args.text_field)
    dictionary = Dictionary(texts)  # unfiltered, as the quality bar asks
    vocab = len(dictionary)
    dense = torch.zeros((len(texts), vocab), dtype=torch.float32)
    for row, tokens in enumerate(texts):
        for token_id, count in dictionary.doc2bow(tokens):
            dense[row, token_id] = float(count)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(dense), batch_size=args.batch, shuffle=True)

    model = ProdLDA(vocab, topics=args.topics)
    optimizer = make_optimizer(model)
    model.train()
    docs = 0
    loss_value = float('nan')
    started = time.perf_counter()
    first_epoch_end = None
    for epoch in range(args.epochs):
        total, batches = 0.0, 0
        for (x,) in loader:
            optimizer.zero_grad()
            loss = model(x)
            loss.backward()
            optimizer.step()
            total += loss.item()
            batches += 1
            docs += x.shape[0]
        loss_value = total / max(batches, 1)
        if epoch == 0:
            first_epoch_end = (time.perf_counter(), docs)
    seconds = time.perf_counter() - started
    # Throughput after the first epoch (warm-up excluded), as corpusflow's side reports it too.
    steady = None
    if first_epoch_end is not None and args.epochs > 1:
        steady_seconds = time.perf_counter() - first_epoch_end[0]
        steady = round((docs - first_epoch_end[1]) / steady_seconds, 2) if steady_seconds > 0 else None

    out = {
        'docs': docs,
        'seconds': round(seconds, 4),
        'docs_per_s': round(docs / seconds, 2) if seconds > 0 else None,
        'steady_docs_per_s': steady,
        'epochs': args.epochs,
        'corpus_docs': len(texts),
        'vocab': vocab,
        'topics': args.topics,
        'batch': args.batch,
        'threads': args.threads,
        'seed': args.seed,
        'final_epoch_loss': round(loss_value, 4) if math.isfinite(loss_value) else None,
        'torch': torch.__version__,
    }
    if args.npmi:
        from gensim.models import CoherenceModel
        topics = model.topic_words(dictionary, 25)
        top10 = [t[:10] for t in topics]
        cm = CoherenceModel(topics=top10, texts=texts, dictionary=dictionary, coherence='c_npmi', topn=10)
        out['npmi'] = round(float(cm.get_coherence()), 4)
        out['diversity_top10'] = round(len({w for t in top10 for w in t}) / (10 * len(top10)), 4)
        out['diversity_top25'] = round(len({w for t in topics for w in t}) / (25 * len(topics)), 4)
    out['peak_rss_mb'] = round(peak_rss_mb(), 1)
    print(json.dumps(out))
    return 0


if __name__ == '__main__':
    sys.exit(main())
