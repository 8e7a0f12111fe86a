// Figures compare corpusflow with its peer. Each says which way its ratio
// reads, so "2×" never has to be guessed: throughput is corpusflow ÷ peer
// (above 1 = we are faster), time is peer ÷ corpusflow (above 1 = we are
// faster), memory is corpusflow ÷ peer (below 1 = we use less).

import { targetMet } from './results.js';

const num = (v) => (typeof v === 'number' && Number.isFinite(v) ? v : null);

function finish(figure) {
  figure.met = targetMet(figure);
  return figure;
}

/** Throughput (higher is better): ratio = corpusflow ÷ peer. */
export function throughput(label, ours, peer, target = null, unit = 'docs/s') {
  ours = num(ours);
  peer = num(peer);
  const ratio = ours !== null && peer !== null && peer > 0 ? ours / peer : null;
  return finish({ label, unit, ours, peer, ratio, ratioText: 'corpusflow ÷ peer', target: target === null ? null : { op: '>=', value: target, on: 'ratio' } });
}

/** Duration (lower is better): ratio = peer ÷ corpusflow, i.e. how many times faster we are. */
export function duration(label, ours, peer, target = null) {
  ours = num(ours);
  peer = num(peer);
  const ratio = ours !== null && peer !== null && ours > 0 ? peer / ours : null;
  return finish({ label, unit: 's', ours, peer, ratio, ratioText: 'peer ÷ corpusflow', target: target === null ? null : { op: '>=', value: target, on: 'ratio' } });
}

/** Memory (lower is better): ratio = corpusflow ÷ peer, i.e. our share of the peer's memory. */
export function memory(label, ours, peer, target = null) {
  ours = num(ours);
  peer = num(peer);
  const ratio = ours !== null && peer !== null && peer > 0 ? ours / peer : null;
  return finish({ label, unit: 'MB', ours, peer, ratio, ratioText: 'corpusflow ÷ peer', target: target === null ? null : { op: '<=', value: target, on: 'ratio' } });
}

/**
 * A figure of ours alone (a quality score, an RSS ceiling), with an optional
 * absolute target and an optional peer value shown beside it without a ratio.
 * @param {string} label
 * @param {number|null} ours
 * @param {{op: '>='|'<=', value: number}|null} target
 * @param {{unit?: string, peer?: number|null}} [extra]
 */
export function absolute(label, ours, target = null, extra = {}) {
  return finish({ label, unit: extra.unit ?? '', ours: num(ours), peer: num(extra.peer ?? null), ratio: null, target: target === null ? null : { ...target, on: 'ours' } });
}

/** First numeric field of `result` among `keys` (scripts name things slightly differently). */
export function pick(result, ...keys) {
  if (!result) return null;
  for (const key of keys) {
    const path = key.split('.');
    let v = result;
    for (const p of path) v = v === null || v === undefined ? undefined : v[p];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
  }
  return null;
}
