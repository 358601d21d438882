/**
 * Turning round results into medians, a text report (stdout) and JSON.
 * A workload that failed in any round is reported as FAILED for that target,
 * with no numbers: a wrong answer must not count as a fast one.
 */
import type { Limit } from './limits.js';
import type { RoundResult, WorkloadResults } from './runner.js';
import { median, type Metric } from './stats.js';
import type { Target } from './workloads/types.js';

export type Summary =
  | { readonly status: 'ok'; readonly medians: Metric[]; readonly rounds: number }
  | { readonly status: 'failed'; readonly error: string; readonly failedRounds: number; readonly rounds: number }
  | { readonly status: 'skipped'; readonly reason: string };

/** Medians of each metric over the rounds, or the failure. */
export function summarise(rounds: readonly RoundResult[]): Summary {
  const failures = rounds.filter((r) => r.status === 'failed');
  const first = failures[0];
  if (first !== undefined) {
    return { status: 'failed', error: first.error, failedRounds: failures.length, rounds: rounds.length };
  }
  const ok = rounds.flatMap((r) => (r.status === 'ok' ? [r.metrics] : []));
  const firstOk = ok[0];
  if (firstOk === undefined) {
    const skipped = rounds.find((r) => r.status === 'skipped');
    return { status: 'skipped', reason: skipped?.status === 'skipped' ? skipped.reason : 'not run' };
  }
  const medians = firstOk.map((metric) => ({
    ...metric,
    value: median(ok.map((metrics) => metrics.find((m) => m.name === metric.name)?.value ?? Number.NaN)),
  }));
  return { status: 'ok', medians, rounds: ok.length };
}

function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return '-';
  const abs = Math.abs(value);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : 2;
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows
    .map((row) =>
      row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  '),
    )
    .join('\n');
}

function cell(summary: Summary | undefined, name: string): string {
  if (summary === undefined) return '-';
  if (summary.status === 'failed') return 'FAILED';
  if (summary.status === 'skipped') return 'skipped';
  return formatNumber(summary.medians.find((m) => m.name === name)?.value ?? Number.NaN);
}

function metricNames(summaries: readonly (Summary | undefined)[]): Metric[] {
  const names: Metric[] = [];
  for (const s of summaries) {
    if (s?.status !== 'ok') continue;
    for (const m of s.medians) if (!names.some((n) => n.name === m.name)) names.push(m);
  }
  return names;
}

/** The text report: one table per workload (metric, per-target medians, berth/reference ratio), then limits. */
export function formatReport(
  results: readonly WorkloadResults[],
  targets: readonly Target[],
  limits: readonly Limit[],
  context: { notes: readonly string[]; scale: number; rounds: number },
): string {
  const out: string[] = [];
  const names = targets.map((t) => t.name);
  const compare = names.includes('reference') && names.includes('berth');
  out.push(
    `Medians of ${context.rounds} round(s) at BENCH_SCALE=${context.scale}` +
      `${context.scale === 1 ? '' : ' (counts, big-blob sizes and durations scaled; summaries describe scale 1)'}.`,
    `MB = 10^6 bytes; ↓ marks metrics where lower is better${compare ? '; berth/ref > 1 means berth is ahead on ↑ metrics' : ''}.`,
    ...targets.map((t) => `${t.name}: ${t.url}${t.pid === undefined ? '' : ` (pid ${t.pid})`}`),
  );
  for (const note of context.notes) out.push(`NOTE: ${note}`);
  for (const { workload, byTarget } of results) {
    const summaries = names.map((n) => summarise(byTarget.get(n) ?? []));
    const rows: string[][] = [['metric', ...names, ...(compare ? ['berth/ref'] : [])]];
    for (const metric of metricNames(summaries)) {
      const values = summaries.map((s) => cell(s, metric.name));
      const row = [`${metric.name}${metric.better === 'lower' ? ' ↓' : ''}`, ...values];
      if (compare) row.push(ratio(summaries, names, metric.name));
      rows.push(row);
    }
    if (rows.length === 1) rows.push(['(no numbers)', ...summaries.map((s) => cell(s, ''))]);
    out.push('', `== ${workload.name}: ${workload.summary}`, table(rows));
    summaries.forEach((s, i) => {
      if (s.status === 'failed')
        out.push(`   ${names[i] ?? ''} FAILED in ${s.failedRounds}/${s.rounds} rounds: ${s.error}`);
      if (s.status === 'skipped') out.push(`   ${names[i] ?? ''} skipped: ${s.reason}`);
    });
  }
  if (limits.length > 0) {
    out.push(
      '',
      '== machine limits',
      table([['limit', 'value', 'unit'], ...limits.map((l) => [l.name, formatNumber(l.value), l.unit])]),
    );
  }
  return `${out.join('\n')}\n`;
}

function ratio(summaries: readonly Summary[], names: readonly string[], metric: string): string {
  const value = (name: string): number => {
    const s = summaries[names.indexOf(name)];
    return s?.status === 'ok' ? (s.medians.find((m) => m.name === metric)?.value ?? Number.NaN) : Number.NaN;
  };
  const r = value('berth') / value('reference');
  return Number.isFinite(r) ? `${r.toFixed(2)}×` : '-';
}

/** The machine-readable form written by --json. */
export function toJson(
  results: readonly WorkloadResults[],
  targets: readonly Target[],
  limits: readonly Limit[],
  meta: Record<string, unknown>,
): unknown {
  return {
    ...meta,
    targets,
    limits,
    workloads: results.map(({ workload, byTarget }) => ({
      name: workload.name,
      summary: workload.summary,
      targets: Object.fromEntries(
        [...byTarget].map(([name, rounds]) => [name, { summary: summarise(rounds), rounds }]),
      ),
    })),
  };
}
