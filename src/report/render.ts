/**
 * report.html: one self-contained page (inline CSS, SVG and a few lines of
 * script; nothing fetched from the network) that shows a run at a glance:
 * headline metrics, the loss curve, the intertopic distance map, topic sizes,
 * each topic's top words and the run's metadata.
 *
 * Charts are drawn here, as SVG strings, so the page works even with
 * scripts disabled; the script only adds highlighting on hover and click.
 */
import { classicalMds, jensenShannonMatrix } from './intertopic.js';

export interface ReportTopic {
  id: number;
  /** Best word first. `weight` is the model's raw score; `p` (optional) the word's probability in the topic. */
  words: Array<{ token: string; weight: number; p?: number }>;
}

export interface ReportData {
  name: string;
  /** ISO time the report was made. */
  createdAt: string;
  /** The pipeline as one line (`inspect`'s output). */
  chain: string;
  /** Label/value rows for the metadata table. */
  metadata: Array<[string, string]>;
  /** metrics.json's values; the headline tiles pick the known names. */
  metrics: Record<string, number | string>;
  history: {
    steps: Array<{ step: number; epoch: number; loss: number; docsPerSecond: number }>;
    epochs: Array<{ epoch: number; step: number; loss: number }>;
  };
  topics: ReportTopic[];
  /** Mean topic share over the documents, per topic (sums to 1). */
  prevalence: number[];
  /** Each topic's word distribution (rows sum to 1), for the distance map; may be empty. */
  topicWord: ArrayLike<number>[];
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const num = (x: number, digits = 3) => (Number.isFinite(x) ? Number(x.toFixed(digits)).toString() : '–');
/** 12.3%, 1.2%, 0.14%: two significant digits below 10%. */
const percent = (p: number) => (Number.isFinite(p) ? `${100 * p >= 10 ? (100 * p).toFixed(1) : Number((100 * p).toPrecision(2)).toString()}%` : '–');
const fmt = (x: number) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '–');

/** A qualitative palette (colour-blind friendly first 10), extended by hue rotation for many topics. */
export function topicColor(k: number): string {
  const base = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];
  if (k < base.length) return base[k]!;
  const hue = Math.round((k * 137.508) % 360);
  return `hsl(${hue} 55% 55%)`;
}

/** Round axis ticks: about `count` steps of 1, 2 or 5 × 10^n covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [];
  if (hi === lo) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

function lossChart(history: ReportData['history']): string {
  const W = 560;
  const H = 400;
  const m = { l: 58, r: 16, t: 16, b: 40 };
  const pts = history.steps.filter((s) => Number.isFinite(s.loss));
  if (pts.length === 0) return `<svg class="chart" viewBox="0 0 ${W} ${H}" role="img" aria-label="loss curve"><text x="${W / 2}" y="${H / 2}" class="empty">no training steps recorded</text></svg>`;
  const epochs = history.epochs.filter((e) => Number.isFinite(e.loss));
  const xs = pts.map((p) => p.step);
  const ys = [...pts.map((p) => p.loss), ...epochs.map((e) => e.loss)];
  const x0 = Math.min(0, ...xs);
  const x1 = Math.max(...xs, 1);
  let y0 = Math.min(...ys);
  let y1 = Math.max(...ys);
  const pad = (y1 - y0) * 0.06 || Math.abs(y1) * 0.05 || 1;
  y0 -= pad;
  y1 += pad;
  const X = (v: number) => m.l + ((v - x0) / (x1 - x0)) * (W - m.l - m.r);
  const Y = (v: number) => H - m.b - ((v - y0) / (y1 - y0)) * (H - m.t - m.b);
  const line = pts.map((p, i) => `${i ? 'L' : 'M'}${X(p.step).toFixed(1)},${Y(p.loss).toFixed(1)}`).join('');
  const area = `${line}L${X(pts[pts.length - 1]!.step).toFixed(1)},${(H - m.b).toFixed(1)}L${X(pts[0]!.step).toFixed(1)},${(H - m.b).toFixed(1)}Z`;
  const yt = niceTicks(y0, y1, 5);
  const xt = niceTicks(x0, x1, 6);
  return `<svg class="chart" viewBox="0 0 ${W} ${H}" role="img" aria-label="training loss by step">
  <defs><linearGradient id="lossfill" x1="0" x2="0" y1="0" y2="1"><stop offset="0" stop-color="#4e79a7" stop-opacity=".28"/><stop offset="1" stop-color="#4e79a7" stop-opacity="0"/></linearGradient></defs>
  ${yt.map((v) => `<line class="grid" x1="${m.l}" x2="${W - m.r}" y1="${Y(v).toFixed(1)}" y2="${Y(v).toFixed(1)}"/><text class="tick" x="${m.l - 8}" y="${(Y(v) + 4).toFixed(1)}" text-anchor="end">${num(v, 1)}</text>`).join('\n  ')}
  ${xt.map((v) => `<text class="tick" x="${X(v).toFixed(1)}" y="${H - m.b + 18}" text-anchor="middle">${fmt(v)}</text>`).join('\n  ')}
  <line class="axis" x1="${m.l}" x2="${W - m.r}" y1="${H - m.b}" y2="${H - m.b}"/>
  <path d="${area}" fill="url(#lossfill)"/>
  <path class="loss" d="${line}"/>
  ${epochs.map((e) => `<circle class="epoch" cx="${X(e.step).toFixed(1)}" cy="${Y(e.loss).toFixed(1)}" r="3"><title>epoch ${e.epoch}: mean loss ${num(e.loss, 2)}</title></circle>`).join('')}
  <text class="label" x="${(m.l + W - m.r) / 2}" y="${H - 6}" text-anchor="middle">step</text>
  <text class="label" transform="translate(14 ${(m.t + H - m.b) / 2}) rotate(-90)" text-anchor="middle">loss (negative ELBO per document)</text>
</svg>`;
}

function distanceMap(data: ReportData): string {
  const W = 440;
  const H = 440;
  const K = data.topics.length;
  let coords: number[][];
  if (data.topicWord.length === K && K >= 2) coords = classicalMds(jensenShannonMatrix(data.topicWord), 2);
  else coords = data.topics.map((_, k) => [Math.cos((2 * Math.PI * k) / Math.max(1, K)), Math.sin((2 * Math.PI * k) / Math.max(1, K))]);
  const xs = coords.map((c) => c[0]!);
  const ys = coords.map((c) => c[1]!);
  const span = Math.max(Math.max(...xs) - Math.min(...xs), Math.max(...ys) - Math.min(...ys), 1e-9);
  const cx = (Math.max(...xs) + Math.min(...xs)) / 2;
  const cy = (Math.max(...ys) + Math.min(...ys)) / 2;
  const maxP = Math.max(...data.prevalence, 1e-12);
  const rMax = Math.min(48, 300 / Math.sqrt(Math.max(K, 1)));
  const inner = W - 2 * (rMax + 12);
  const X = (v: number) => W / 2 + ((v - cx) / span) * inner;
  const Y = (v: number) => H / 2 - ((v - cy) / span) * inner;
  const order = data.topics.map((_, k) => k).sort((a, b) => (data.prevalence[b] ?? 0) - (data.prevalence[a] ?? 0));
  const circles = order
    .map((k) => {
      const t = data.topics[k]!;
      // area ∝ prevalence, as pyLDAvis
      const r = Math.max(6, rMax * Math.sqrt((data.prevalence[k] ?? 0) / maxP));
      const x = X(coords[k]![0]!);
      const y = Y(coords[k]![1]!);
      const words = t.words.slice(0, 5).map((w) => w.token).join(', ');
      return `<g class="topic-dot" data-topic="${t.id}" tabindex="0"><circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="${r.toFixed(1)}" fill="${topicColor(t.id)}"><title>Topic ${t.id} (${num(100 * (data.prevalence[k] ?? 0), 1)}% of tokens): ${esc(words)}</title></circle><text x="${x.toFixed(1)}" y="${(y + 4).toFixed(1)}" text-anchor="middle">${t.id}</text></g>`;
    })
    .join('\n  ');
  return `<svg class="chart" viewBox="0 0 ${W} ${H}" role="img" aria-label="intertopic distance map">
  <line class="axis faint" x1="${W / 2}" x2="${W / 2}" y1="8" y2="${H - 8}"/><line class="axis faint" x1="8" x2="${W - 8}" y1="${H / 2}" y2="${H / 2}"/>
  <text class="label" x="${W - 10}" y="${H / 2 - 6}" text-anchor="end">PC1</text><text class="label" x="${W / 2 + 6}" y="18">PC2</text>
  ${circles}
</svg>`;
}

function sizesChart(data: ReportData): string {
  const rows = data.topics.map((t, k) => ({ t, p: data.prevalence[k] ?? 0 })).sort((a, b) => b.p - a.p);
  const rowH = 24;
  const W = 1100;
  const labelW = 300;
  const H = rows.length * rowH + 8;
  const maxP = Math.max(...rows.map((r) => r.p), 1e-12);
  return `<svg class="chart" viewBox="0 0 ${W} ${H}" role="img" aria-label="topic sizes">
  ${rows
    .map(({ t, p }, i) => {
      const y = 4 + i * rowH;
      const w = ((W - labelW - 60) * p) / maxP;
      const label = `${t.id} · ${t.words.slice(0, 4).map((x) => x.token).join(', ')}`;
      return `<g class="size-row" data-topic="${t.id}"><text class="rowlabel" x="${labelW - 10}" y="${y + 16}" text-anchor="end">${esc(label.length > 46 ? label.slice(0, 45) + '…' : label)}</text><rect x="${labelW}" y="${y + 3}" width="${Math.max(1, w).toFixed(1)}" height="${rowH - 7}" rx="3" fill="${topicColor(t.id)}"><title>Topic ${t.id}: ${num(100 * p, 2)}%</title></rect><text class="tick" x="${(labelW + Math.max(1, w) + 6).toFixed(1)}" y="${y + 15}">${num(100 * p, 1)}%</text></g>`;
    })
    .join('\n  ')}
</svg>`;
}

function topicCard(t: ReportTopic, share: number, n: number): string {
  const words = t.words.slice(0, n);
  const values = words.map((w) => (w.p !== undefined ? w.p : w.weight));
  const lo = words.some((w) => w.p !== undefined) ? 0 : Math.min(0, ...values);
  const hi = Math.max(...values, lo + 1e-12);
  const rowH = 18;
  const W = 300;
  const labelW = 110;
  const H = words.length * rowH + 4;
  const bars = words
    .map((w, i) => {
      const v = values[i]!;
      const width = ((W - labelW - 50) * (v - lo)) / (hi - lo);
      const y = 2 + i * rowH;
      const shown = w.p !== undefined ? percent(w.p) : num(w.weight, 2);
      return `<text class="word" x="${labelW - 6}" y="${y + 13}" text-anchor="end">${esc(w.token)}</text><rect x="${labelW}" y="${y + 3}" width="${Math.max(1, width).toFixed(1)}" height="${rowH - 6}" rx="2" fill="${topicColor(t.id)}"><title>${esc(w.token)}: ${shown}</title></rect><text class="tick" x="${(labelW + Math.max(1, width) + 5).toFixed(1)}" y="${y + 13}">${shown}</text>`;
    })
    .join('');
  return `<article class="topic" id="topic-${t.id}" data-topic="${t.id}">
  <header><span class="swatch" style="background:${topicColor(t.id)}"></span><h3>Topic ${t.id}</h3><span class="share">${num(100 * share, 1)}%</span></header>
  <svg class="bars" viewBox="0 0 ${W} ${H}" role="img" aria-label="top words of topic ${t.id}">${bars}</svg>
</article>`;
}

const TILES: Array<[string, string, (v: number) => string]> = [
  ['npmi', 'NPMI coherence', (v) => num(v, 3)],
  ['diversity_top10', 'Diversity @10', (v) => num(v, 2)],
  ['diversity_top25', 'Diversity @25', (v) => num(v, 2)],
  ['perplexity', 'Perplexity', fmt],
  ['docs', 'Documents', fmt],
  ['docs_per_second', 'Training docs/s', fmt],
  ['seconds', 'Run time', (v) => `${num(v, 1)} s`],
  ['peak_rss_mb', 'Peak RSS', (v) => `${fmt(v)} MB`],
];

const CSS = `
:root{--bg:#f6f7f9;--card:#fff;--ink:#1f2933;--muted:#667085;--line:#e4e7ec;--accent:#4e79a7}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:14px/1.45 -apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1180px;margin:0 auto;padding:28px 24px 48px}
h1{font-size:26px;margin:0 0 4px;letter-spacing:-.01em}
h2{font-size:15px;margin:0 0 12px;text-transform:uppercase;letter-spacing:.06em;color:var(--muted)}
h3{font-size:14px;margin:0}
.sub{color:var(--muted);margin:0 0 16px}
.chain{font:12px/1.5 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:#0f172a;color:#e2e8f0;padding:10px 14px;border-radius:8px;overflow-x:auto;white-space:nowrap}
.tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(130px,1fr));gap:12px;margin:20px 0}
.tile{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:12px 14px}
.tile .v{font-size:22px;font-weight:650;letter-spacing:-.01em}
.tile .k{color:var(--muted);font-size:12px}
.grid2{display:grid;grid-template-columns:minmax(0,1.25fr) minmax(0,1fr);gap:16px;margin-bottom:16px}
@media (max-width:900px){.grid2{grid-template-columns:1fr}}
.card{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:16px 18px}
.chart{width:100%;height:auto;display:block}
.note{color:var(--muted);font-size:12px;margin:8px 0 0}
.chart line.grid{stroke:var(--line)}
.chart .axis{stroke:#98a2b3}
.chart .faint{stroke:var(--line);stroke-dasharray:3 4}
.chart .tick{fill:var(--muted);font-size:11px}
.chart .label{fill:var(--muted);font-size:11px}
.chart .rowlabel{fill:var(--ink);font-size:13px}
.chart .empty{fill:var(--muted);text-anchor:middle}
.chart .loss{fill:none;stroke:var(--accent);stroke-width:2;stroke-linejoin:round}
.chart .epoch{fill:#fff;stroke:#e15759;stroke-width:1.5}
.topic-dot circle{fill-opacity:.55;stroke:#fff;stroke-width:1.5;cursor:pointer;transition:fill-opacity .15s}
.topic-dot text{font-size:11px;font-weight:600;fill:#1f2933;pointer-events:none}
.topic-dot:hover circle,.topic-dot.on circle{fill-opacity:.9;stroke:#1f2933}
.size-row.on rect{stroke:#1f2933;stroke-width:1.5}
.topics{display:grid;grid-template-columns:repeat(auto-fill,minmax(300px,1fr));gap:12px}
.topic{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:12px 12px 8px;transition:box-shadow .15s,border-color .15s}
.topic.on{border-color:#1f2933;box-shadow:0 4px 18px rgba(15,23,42,.12)}
.topic header{display:flex;align-items:center;gap:8px;margin-bottom:6px}
.topic .share{margin-left:auto;color:var(--muted);font-size:12px}
.swatch{width:12px;height:12px;border-radius:3px;display:inline-block}
.bars{width:100%;height:auto}
.bars .word{font-size:12px;fill:var(--ink)}
.bars .tick{font-size:10px;fill:var(--muted)}
table.meta{border-collapse:collapse;width:100%}
table.meta td{padding:6px 8px;border-bottom:1px solid var(--line);vertical-align:top}
table.meta td:first-child{color:var(--muted);width:180px}
footer{color:var(--muted);font-size:12px;margin-top:24px}
section{margin-bottom:16px}
`;

// Hover or click a topic anywhere: the same topic lights up in every chart.
const SCRIPT = `
(function(){
  var nodes=document.querySelectorAll('[data-topic]');
  function mark(id,on){nodes.forEach(function(n){if(n.getAttribute('data-topic')===id)n.classList.toggle('on',on);});}
  nodes.forEach(function(n){
    var id=n.getAttribute('data-topic');
    n.addEventListener('mouseenter',function(){mark(id,true);});
    n.addEventListener('mouseleave',function(){mark(id,false);});
    if(n.classList.contains('topic-dot')||n.classList.contains('size-row')){
      n.addEventListener('click',function(){var c=document.getElementById('topic-'+id);if(c)c.scrollIntoView({behavior:'smooth',block:'center'});});
    }
  });
})();
`;

/**
 * Render the report page.
 *
 * ## Example
 * ```ts
 * import { renderReport } from 'corpusflow';
 * await writeFileAtomic('out/report.html', renderReport(data));
 * ```
 * @param data what the run produced.
 * @return the complete HTML document.
 */
export function renderReport(data: ReportData): string {
  const m = data.metrics;
  const tiles = TILES.filter(([k]) => typeof m[k] === 'number')
    .map(([k, label, f]) => `<div class="tile"><div class="v">${esc(f(m[k] as number))}</div><div class="k">${esc(label)}</div></div>`)
    .join('');
  const words = Math.min(10, Math.max(0, ...data.topics.map((t) => t.words.length)));
  const cards = data.topics
    .map((t, k) => ({ t, share: data.prevalence[k] ?? 0 }))
    .sort((a, b) => b.share - a.share)
    .map(({ t, share }) => topicCard(t, share, words))
    .join('\n');
  const meta = data.metadata.map(([k, v]) => `<tr><td>${esc(k)}</td><td>${esc(v)}</td></tr>`).join('');
  const when = data.createdAt.replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>${esc(data.name)} · corpusflow report</title>
<style>${CSS}</style>
</head>
<body>
<main>
<h1>${esc(data.name)}</h1>
<p class="sub">Topic model report · ${esc(when)} · ${data.topics.length} topics</p>
<div class="chain">${esc(data.chain)}</div>
<div class="tiles">${tiles}</div>
<div class="grid2">
  <section class="card"><h2>Training loss</h2>${lossChart(data.history)}<p class="note">Mean loss per logged interval; dots are epoch means.</p></section>
  <section class="card"><h2>Intertopic distance map</h2>${distanceMap(data)}<p class="note">Classical MDS of Jensen–Shannon divergences between topic–word distributions; circle area ∝ topic prevalence.</p></section>
</div>
<section class="card"><h2>Topic sizes</h2>${sizesChart(data)}<p class="note">Mean share of each topic over the documents.</p></section>
<section><h2>Top words per topic</h2><div class="topics">
${cards}
</div></section>
<section class="card"><h2>Run</h2><table class="meta">${meta}</table></section>
<footer>Made by corpusflow. This file is self-contained: no network access needed.</footer>
</main>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
