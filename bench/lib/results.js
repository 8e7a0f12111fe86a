// Renders bench/RESULTS.md from benchmark records, and reads the records back
// from a previous file so that a partial run (--only) keeps the sections it
// did not run. Each section carries its record as JSON in an HTML comment:
// the markdown is always regenerated from records, never edited in place.

/**
 * @typedef {{op: '>=' | '<=', value: number, on: 'ratio' | 'ours'}} Target
 * @typedef {{label: string, unit?: string, ours: number|null, peer: number|null,
 *            ratio: number|null, ratioText?: string, target?: Target|null, met?: boolean|null}} Figure
 * @typedef {{side: string, label: string, command: string, code: number|null, seconds: number,
 *            peakRssMb: number|null, result: object|null, error?: string|null}} RunRecord
 * @typedef {{name: string, title: string, issue?: number, date: string, machine: object,
 *            status: 'ok'|'failed'|'no-peer'|'skipped', notes: string[], settings?: string[],
 *            runs: RunRecord[], figures: Figure[]}} BenchRecord
 */

export const TITLE = '# Benchmark results';

const BEGIN = (name) => `<!-- bench:${name} begin -->`;
const END = (name) => `<!-- bench:${name} end -->`;
const DATA = '<!-- bench-data ';

/** Evaluates a target against a figure: true, false, or null when not measurable. */
export function targetMet(figure) {
  const t = figure.target;
  if (!t) return null;
  const value = t.on === 'ours' ? figure.ours : figure.ratio;
  if (value === null || value === undefined || !Number.isFinite(value)) return null;
  return t.op === '>=' ? value >= t.value : value <= t.value;
}

/** Formats a number for a table: 3 significant digits for small values, thousands separators for large. */
export function formatNumber(value, unit = '') {
  if (value === null || value === undefined || Number.isNaN(value)) return '—';
  const abs = Math.abs(value);
  let text;
  if (abs >= 1000) text = Math.round(value).toLocaleString('en-US');
  else if (abs >= 100) text = value.toFixed(0);
  else if (abs >= 10) text = value.toFixed(1);
  else if (abs >= 1) text = value.toFixed(2);
  else text = value.toPrecision(3);
  return unit ? `${text} ${unit}` : text;
}

function formatRatio(figure) {
  if (figure.ratio === null || figure.ratio === undefined) return '—';
  return `${formatNumber(figure.ratio)}×${figure.ratioText ? ` (${figure.ratioText})` : ''}`;
}

function formatTarget(target) {
  if (!target) return '—';
  const op = target.op === '>=' ? '≥' : '≤';
  return target.on === 'ratio' ? `${op} ${target.value}×` : `${op} ${target.value}`;
}

function formatMet(met) {
  return met === true ? 'yes' : met === false ? '**no**' : '—';
}

function escapeCell(text) {
  return String(text).replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function machineLine(m) {
  if (!m) return 'unknown machine';
  const parts = [
    `${m.cores} cores (${m.cpuModel})`,
    `${m.memoryGb} GB RAM`,
    `${m.platform}`,
    `Node ${m.node}`,
  ];
  if (m.backend) parts.push(`backend ${m.backend}`);
  if (m.peer) parts.push(m.peer);
  return parts.join(', ');
}

/** Renders one benchmark's section (markdown + its record as data). */
export function renderSection(record) {
  const lines = [BEGIN(record.name), `## ${record.name}: ${record.title}`, ''];
  const load = typeof record.loadAverage === 'number' ? ` 1-minute load average ${record.loadAverage} when it started.` : '';
  const backends = [...new Set(record.runs
    .filter((r) => r.side === 'corpusflow' && r.result && typeof r.result.backend === 'string')
    .map((r) => (r.result.wasm_variant ? `${r.result.backend} (${r.result.wasm_variant})` : r.result.backend)))];
  const backend = backends.length > 0 ? ` corpusflow's tfjs backend: ${backends.join(', ')}.` : '';
  lines.push(`Measured ${record.date} on ${machineLine(record.machine)}.${backend}${load}${record.issue ? ` Issue ${record.issue}.` : ''}`);
  lines.push('');
  if (record.status !== 'ok') lines.push(`**Status: ${record.status}.**`, '');
  for (const setting of record.settings ?? []) lines.push(`- ${setting}`);
  for (const note of record.notes ?? []) lines.push(`- ${note}`);
  if ((record.settings ?? []).length + (record.notes ?? []).length > 0) lines.push('');
  if (record.figures.length > 0) {
    lines.push('| figure | corpusflow | peer | ratio | target | met |', '| --- | --- | --- | --- | --- | --- |');
    for (const f of record.figures) {
      lines.push(`| ${escapeCell(f.label)} | ${formatNumber(f.ours, f.unit)} | ${formatNumber(f.peer, f.unit)} | ${formatRatio(f)} | ${formatTarget(f.target)} | ${formatMet(f.met ?? targetMet(f))} |`);
    }
    lines.push('');
  }
  if (record.runs.length > 0) {
    lines.push('Commands (each figure above comes from these runs; wall time and peak RSS of the whole process tree measured by the harness):', '');
    lines.push('| side | command | exit | wall s | peak RSS MB | reported |', '| --- | --- | --- | --- | --- | --- |');
    for (const r of record.runs) {
      const reported = r.result ? Object.entries(r.result)
        .filter(([k, v]) => ['docs', 'seconds', 'docs_per_s'].includes(k) || (typeof v === 'number' && /npmi|diversity|recovery|loss|tokens/.test(k)))
        .map(([k, v]) => `${k}=${typeof v === 'number' ? formatNumber(v) : v}`).join(', ') : (r.error ?? '');
      lines.push(`| ${escapeCell(r.label)} | \`${escapeCell(r.command)}\` | ${r.code ?? '—'} | ${formatNumber(r.seconds)} | ${formatNumber(r.peakRssMb)} | ${escapeCell(reported)} |`);
    }
    lines.push('');
  }
  // `-->` would end the comment early; JSON allows escaping `>` as \u003e.
  lines.push(`${DATA}${JSON.stringify(record).replace(/-->/g, '--\\u003e')} -->`);
  lines.push(END(record.name));
  return lines.join('\n');
}

/**
 * Renders the whole RESULTS.md.
 * @param {{generated: string, machine: object, command: string, records: BenchRecord[], preamble?: string[]}} input
 */
export function renderResults(input) {
  const { records } = input;
  const out = [TITLE, ''];
  out.push(`Written by \`${input.command}\` (\`npm run bench\`) on ${input.generated}. Do not edit by hand: every run rewrites this file, and keeps the sections of benchmarks it did not run (each section says when it was measured).`);
  out.push('');
  out.push(`Latest run's machine: ${machineLine(input.machine)}.`);
  out.push('');
  for (const line of input.preamble ?? []) out.push(line);
  if ((input.preamble ?? []).length > 0) out.push('');
  out.push('## Summary', '');
  out.push('| benchmark | figure | corpusflow | peer | ratio | target | met | measured |', '| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const r of records) {
    if (r.figures.length === 0) {
      out.push(`| ${r.name} | ${r.status} | — | — | — | — | — | ${r.date.slice(0, 10)} |`);
      continue;
    }
    for (const f of r.figures) {
      out.push(`| ${r.name} | ${escapeCell(f.label)} | ${formatNumber(f.ours, f.unit)} | ${formatNumber(f.peer, f.unit)} | ${formatRatio(f)} | ${formatTarget(f.target)} | ${formatMet(f.met ?? targetMet(f))} | ${r.date.slice(0, 10)} |`);
    }
  }
  out.push('');
  for (const r of records) out.push(renderSection(r), '');
  return out.join('\n');
}

/**
 * Reads the records back from a RESULTS.md written by renderResults.
 * Sections without a readable data comment are dropped (they are regenerated).
 * @param {string} text
 * @return {Map<string, BenchRecord>}
 */
export function parseResults(text) {
  const records = new Map();
  const re = /<!-- bench:([A-Za-z0-9_.-]+) begin -->([\s\S]*?)<!-- bench:\1 end -->/g;
  for (const match of text.matchAll(re)) {
    const body = match[2];
    const at = body.indexOf(DATA);
    if (at < 0) continue;
    const end = body.indexOf(' -->', at);
    if (end < 0) continue;
    try {
      const record = JSON.parse(body.slice(at + DATA.length, end));
      if (record && record.name === match[1]) records.set(record.name, record);
    } catch {
      // A damaged section is dropped rather than trusted.
    }
  }
  return records;
}

/**
 * Merges this run's records over the previous file's: a benchmark run now
 * replaces its old section, the others are kept. Order: `order` first (the
 * registry's order), then any other kept names alphabetically.
 * @param {Map<string, BenchRecord>} previous
 * @param {BenchRecord[]} current
 * @param {string[]} order
 * @return {BenchRecord[]}
 */
export function mergeRecords(previous, current, order) {
  const byName = new Map(previous);
  for (const r of current) byName.set(r.name, r);
  const names = [...order.filter((n) => byName.has(n)), ...[...byName.keys()].filter((n) => !order.includes(n)).sort()];
  return names.map((n) => byName.get(n));
}
