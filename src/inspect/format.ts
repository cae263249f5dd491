// Human output: a table a person reads in five seconds (severity, check,
// node, what is wrong), then the numbered fixes.
import type { Finding } from './types.js';

export interface InspectReport {
  /** The node this host is, or null when unknown. */
  node: string | null;
  /** How `node` was decided ('vtep-mac', 'internal-ip', ...), null when unknown. */
  identifiedBy: string | null;
  /** Where the cluster truth came from, null when none was available. */
  source: { kind: string; origin: string; nodes: number } | null;
  device: string | null;
  findings: Finding[];
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

export function formatReport(r: InspectReport): string {
  const lines: string[] = [];
  const who = r.node ? `node ${r.node}${r.identifiedBy ? ` (by ${r.identifiedBy})` : ''}` : 'this host (node unknown)';
  const src = r.source ? `${r.source.nodes} nodes from ${r.source.kind} ${r.source.origin}` : 'no cluster data (local checks only; pass --nodes or --etcd)';
  lines.push(`vxprobe inspect: ${who}, device ${r.device ?? 'none'}, ${src}`);
  const counts = { error: 0, warning: 0, info: 0 };
  for (const f of r.findings) counts[f.severity]++;
  if (r.findings.length === 0) {
    lines.push('no problems found');
    return lines.join('\n') + '\n';
  }
  lines.push(`${counts.error} error(s), ${counts.warning} warning(s), ${counts.info} info`);
  lines.push('');
  const idW = Math.max(5, ...r.findings.map((f) => f.id.length));
  const nodeW = Math.max(4, ...r.findings.map((f) => (f.node ?? '-').length));
  lines.push(`  #  ${pad('SEVERITY', 8)}  ${pad('CHECK', idW)}  ${pad('NODE', nodeW)}  FINDING`);
  r.findings.forEach((f, i) => {
    lines.push(`${String(i + 1).padStart(3)}  ${pad(f.severity, 8)}  ${pad(f.id, idW)}  ${pad(f.node ?? '-', nodeW)}  ${f.message}`);
  });
  lines.push('');
  lines.push('Fix:');
  r.findings.forEach((f, i) => {
    if (f.severity === 'info' && !f.remedy) return;
    lines.push(`${String(i + 1).padStart(3)}  ${f.remedy}`);
  });
  return lines.join('\n') + '\n';
}

export function reportJson(r: InspectReport): string {
  return JSON.stringify(
    { node: r.node, identifiedBy: r.identifiedBy, source: r.source, device: r.device, findings: r.findings },
    null,
    2,
  ) + '\n';
}
