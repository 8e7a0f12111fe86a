import t from 'tap';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { niceTicks, renderReport, type ReportData } from '../../src/report/render.js';

// A report as a 12-topic run would give it; deterministic pseudo-random numbers.
function sampleData(K = 12, V = 300): ReportData {
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const vocab = Array.from({ length: V }, (_, i) => `word${i}`);
  const topicWord = Array.from({ length: K }, (_, k) => {
    const row = vocab.map((_, v) => (Math.floor(v / (V / K)) === k ? 5 : 0.2) * rand());
    const sum = row.reduce((a, b) => a + b, 0);
    return row.map((x) => x / sum);
  });
  const topics = topicWord.map((row, k) => ({
    id: k,
    words: row
      .map((p, v) => ({ token: vocab[v]!, weight: Math.log(p), p }))
      .sort((a, b) => b.p - a.p)
      .slice(0, 25),
  }));
  const prev = Array.from({ length: K }, () => 0.2 + rand());
  const total = prev.reduce((a, b) => a + b, 0);
  const steps = Array.from({ length: 120 }, (_, i) => ({ step: (i + 1) * 5, epoch: Math.floor(i / 12) + 1, loss: 900 * Math.exp(-i / 40) + 300 + 20 * rand(), docsPerSecond: 2000 }));
  const epochs = Array.from({ length: 10 }, (_, e) => ({ epoch: e + 1, step: (e + 1) * 60, loss: steps[e * 12 + 11]!.loss }));
  return {
    name: 'sample <run> & "quotes"',
    createdAt: '2026-11-28T22:00:00.000Z',
    chain: 'ndjson(data/x.ndjson) -> preprocess(default) -> dictionary(two-pass, no_below=5) -> shuffle(10000) -> batch(64, sparse) -> prodlda(K=12) -> train(adam, 10 epochs)',
    metadata: [['backend', 'wasm'], ['documents', '2,225']],
    metrics: { npmi: 0.0912, diversity_top10: 0.87, diversity_top25: 0.8, perplexity: 1523.4, docs: 2225, docs_per_second: 2100, seconds: 93.2, peak_rss_mb: 180, backend: 'wasm' },
    history: { steps, epochs },
    topics,
    prevalence: prev.map((p) => p / total),
    topicWord,
  };
}

t.test('niceTicks', async (t) => {
  t.same(niceTicks(0, 10, 5), [0, 2, 4, 6, 8, 10]);
  t.same(niceTicks(0.13, 0.91, 4), [0.2, 0.4, 0.6, 0.8]);
  t.same(niceTicks(5, 5), [5]);
  t.same(niceTicks(NaN, 1), []);
});

t.test('the page is self-contained and escapes what it shows', async (t) => {
  const html = renderReport(sampleData());
  t.notMatch(html, /https?:\/\//, 'no URLs at all');
  t.notMatch(html, /<link|<img|src=/, 'nothing loaded from elsewhere');
  t.match(html, 'sample &lt;run&gt; &amp; &quot;quotes&quot;');
  t.notMatch(html, '<run>');
});

t.test('an empty history and a single topic still render', async (t) => {
  const d = sampleData(2, 20);
  d.history = { steps: [], epochs: [] };
  d.topicWord = [];
  const html = renderReport(d);
  t.match(html, 'no training steps recorded');
  t.match(html, 'data-topic="1"');
});

const chromium = '/usr/bin/chromium';
t.test('renders in headless chromium without errors, with non-empty charts', { skip: existsSync(chromium) ? false : `${chromium} is missing` }, async (t) => {
  const { chromium: launcher } = await import('playwright-core');
  const dir = mkdtempSync(path.join(tmpdir(), 'corpusflow-report-'));
  t.teardown(() => {
    if (!process.env.CORPUSFLOW_KEEP_REPORT) rmSync(dir, { recursive: true, force: true });
  });
  const file = path.join(dir, 'report.html');
  writeFileSync(file, renderReport(sampleData()));
  const browser = await launcher.launch({
    executablePath: chromium,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  t.teardown(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('request', (r) => {
    if (!r.url().startsWith('file:')) problems.push(`network request: ${r.url()}`);
  });
  await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });

  const counts = await page.evaluate(() => ({
    svgs: document.querySelectorAll('svg').length,
    mapCircles: document.querySelectorAll('.topic-dot circle').length,
    lossPath: (document.querySelector('path.loss')?.getAttribute('d') ?? '').length,
    epochDots: document.querySelectorAll('circle.epoch').length,
    sizeBars: document.querySelectorAll('.size-row rect').length,
    wordBars: document.querySelectorAll('.topic svg rect').length,
    cards: document.querySelectorAll('article.topic').length,
    tiles: document.querySelectorAll('.tile').length,
    mapBox: (() => {
      const r = document.querySelector('.topic-dot circle')!.getBoundingClientRect();
      return r.width * r.height;
    })(),
  }));
  t.equal(counts.mapCircles, 12, 'one circle per topic in the distance map');
  t.equal(counts.sizeBars, 12, 'one bar per topic in topic sizes');
  t.equal(counts.cards, 12);
  t.equal(counts.wordBars, 120, '10 word bars per topic');
  t.equal(counts.epochDots, 10);
  t.ok(counts.lossPath > 100, 'loss curve drawn');
  t.ok(counts.svgs >= 15, `${counts.svgs} svg elements`);
  t.equal(counts.tiles, 8);
  t.ok(counts.mapBox > 0, 'circles have a size on screen');

  // hovering a circle highlights the topic's card
  await page.hover('.topic-dot[data-topic="3"] circle');
  t.ok(await page.evaluate(() => document.getElementById('topic-3')!.classList.contains('on')), 'hover highlights the card');

  const shot = process.env.CORPUSFLOW_REPORT_SCREENSHOT ?? path.join(dir, 'report.png');
  await page.screenshot({ path: shot, fullPage: true });
  t.ok(statSync(shot).size > 10_000, `screenshot saved (${shot})`);
  t.same(problems, [], 'no console errors, warnings or network requests');
});
