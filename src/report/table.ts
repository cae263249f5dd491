// Human output: ports as columns, directions as rows, a verdict and a
// one-line reason per cell, then the remedies. Readable in five seconds.
import type { PairReport, PortResult } from '../diagnose/types.js';

const CELL = 36;

function wrap(text: string, width: number): string[] {
  const words = text.split(/\s+/);
  const lines: string[] = [];
  let line = '';
  for (const w of words) {
    if (line && line.length + 1 + w.length > width) {
      lines.push(line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) lines.push(line);
  return lines.flatMap((l) => (l.length > width ? l.match(new RegExp(`.{1,${width}}`, 'g')) ?? [] : [l]));
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

export interface TableOptions {
  color?: boolean;
}

function paint(verdict: string, color: boolean): string {
  if (!color) return verdict.toUpperCase();
  const code = verdict === 'ok' ? 32 : 31;
  return `\x1b[1;${code}m${verdict.toUpperCase()}\x1b[0m`;
}

export function renderTable(report: PairReport, opts: TableOptions = {}): string {
  const { local, peer } = report.nodes;
  const out: string[] = [];
  out.push(`vxprobe pair: ${local.name} (${local.ip}) <-> ${peer.name} (${peer.ip})   ${report.durationMs} ms`);
  out.push('');
  const labels = (['forward', 'reverse'] as const).map((direction) => {
    const first = report.results.find((r) => r.direction === direction);
    return first ? `${direction} ${first.from} -> ${first.to}` : direction;
  });
  const rowHead = Math.max(...labels.map((l) => l.length)) + 2;
  out.push((pad('', rowHead) + report.ports.map((p) => pad(`udp/${p}`, CELL + 2)).join('')).trimEnd());
  for (const [index, direction] of (['forward', 'reverse'] as const).entries()) {
    const cells = report.ports.map((p) => report.results.find((r) => r.port === p && r.direction === direction));
    const label = labels[index]!;
    const bodies = cells.map((c) => (c ? wrap(c.reason, CELL) : ['-']));
    const height = Math.max(...bodies.map((b) => b.length)) + 1;
    for (let i = 0; i < height; i++) {
      const head = i === 0 ? pad(label, rowHead) : pad('', rowHead);
      const row = cells.map((c, j) => {
        if (i === 0) {
          const v = c?.verdict ?? '-';
          // Padding is computed on the plain text so colors don't shift columns.
          return paint(v, !!opts.color) + ' '.repeat(Math.max(0, CELL + 2 - v.length));
        }
        return pad(bodies[j]![i - 1] ?? '', CELL + 2);
      });
      out.push((head + row.join('')).trimEnd());
    }
  }
  const bad = report.results.filter((r) => r.verdict !== 'ok');
  out.push('');
  if (bad.length === 0) {
    out.push('All ports pass in both directions.');
  } else {
    out.push('What to change:');
    const seen = new Set<string>();
    for (const r of bad) {
      if (!r.remedy || seen.has(r.remedy)) continue;
      seen.add(r.remedy);
      out.push(`  - udp/${r.port} ${r.direction} (${r.verdict}): ${r.remedy}`);
    }
  }
  return out.join('\n') + '\n';
}

/** The evidence behind each verdict, for `--verbose`. */
export function renderEvidence(results: PortResult[]): string {
  const out: string[] = [];
  for (const r of results) {
    out.push(`udp/${r.port} ${r.direction} ${r.from} -> ${r.to}: ${r.verdict}`);
    for (const e of r.evidence) out.push(`    ${e.message}`);
  }
  return out.join('\n') + '\n';
}
