// Firewall facts: every chain a packet entering this host can meet on the
// input and forward paths, with all rules in order (ACCEPT, RETURN, jumps,
// policies), read from `nft -j list ruleset`, `iptables-nft-save -c` (for the
// tables iptables-nft owns: nft shows their matches only as opaque xt
// expressions) and `iptables-legacy-save -c` (legacy tables apply alongside
// nft ones). The rule layer walks them (src/overlay/firewall-eval.ts;
// docs/architecture.md, "Firewall semantics").
import { execFile } from 'node:child_process';
import { childEnv } from './child-env.js';
import { readFileSync } from 'node:fs';
import { parseIptablesChains } from './firewall-iptables.js';
import { parseNftChains } from './firewall-nft.js';
import type { FirewallFacts, FwChain, FwRule } from './types.js';

export { parseNftChains } from './firewall-nft.js';
export { parseIptablesChains } from './firewall-iptables.js';

/** Enough for kube-proxy on a large cluster; the rest is reported as a gap. */
export const MAX_FIREWALL_RULES = 6000;
const MAX_TEXT = 500;

export interface ToolResult {
  missing: boolean;
  ok: boolean;
  stdout: string;
  stderr: string;
}

function runTool(cmd: string, args: string[]): Promise<ToolResult> {
  return new Promise((resolve) => {
    execFile(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, timeout: 10_000, env: childEnv() }, (err, stdout, stderr) => {
      const code = (err as NodeJS.ErrnoException | null)?.code;
      resolve({ missing: code === 'ENOENT', ok: !err, stdout, stderr });
    });
  });
}

const IPTABLES_TABLES = new Set(['filter', 'raw', 'mangle', 'security']);
const PATH_HOOKS = new Set(['prerouting', 'input', 'forward']);

const clip = (t: string): string => (t.length > MAX_TEXT ? `${t.slice(0, MAX_TEXT)}...` : t);

/** A rule whose texts fit the facts' limits (a long set stays exact only up to 4096 elements). */
function boundedRule(r: FwRule): FwRule {
  return {
    ...r,
    text: clip(r.text),
    matches: r.matches.map((m) =>
      m.values.length > 4096 ? { field: 'unknown', neg: false, values: [clip(`${m.field} with ${m.values.length} values`)] } : { ...m, values: m.values.map(clip) },
    ),
  };
}

export const chainKey = (c: Pick<FwChain, 'backend' | 'family' | 'table' | 'name'>): string => `${c.backend} ${c.family} ${c.table} ${c.name}`;

/**
 * The chains that matter to traffic entering the host: filter-type IPv4 base
 * chains on prerouting/input/forward and everything they jump to, cut at
 * `maxRules` rules (the cut is returned as a gap).
 */
export function relevantChains(chains: FwChain[], maxRules = MAX_FIREWALL_RULES): { chains: FwChain[]; gaps: string[] } {
  const byKey = new Map(chains.map((c) => [chainKey(c), c]));
  const isBase = (c: FwChain) =>
    c.hook !== null && PATH_HOOKS.has(c.hook) && (c.family === 'ip' || c.family === 'inet') && (c.type === 'filter' || IPTABLES_TABLES.has(c.type ?? ''));
  const queue = chains.filter(isBase);
  const seen = new Set(queue.map(chainKey));
  const out: FwChain[] = [];
  const gaps: string[] = [];
  let budget = maxRules;
  while (queue.length > 0) {
    const c = queue.shift()!;
    if (budget <= 0) {
      gaps.push(`chain ${c.table}/${c.name} (${c.backend}) not kept: more than ${maxRules} rules`);
      out.push({ ...c, rules: [], truncated: true });
      continue;
    }
    const rules = c.rules.slice(0, budget).map(boundedRule);
    if (rules.length < c.rules.length) gaps.push(`chain ${c.table}/${c.name} (${c.backend}) cut after ${rules.length} of ${c.rules.length} rules`);
    budget -= rules.length;
    out.push(rules.length < c.rules.length ? { ...c, rules, truncated: true } : { ...c, rules });
    for (const r of c.rules) {
      if ((r.action.kind !== 'jump' && r.action.kind !== 'goto') || !r.action.target) continue;
      const key = chainKey({ ...c, name: r.action.target });
      const target = byKey.get(key);
      if (target && !seen.has(key)) {
        seen.add(key);
        queue.push(target);
      }
    }
  }
  return { chains: out, gaps };
}

export interface ToolOutputs {
  /** `nft -j list ruleset`; null when nft is not installed. */
  nft: ToolResult | null;
  /** `iptables-nft-save -c` (asked only when nft shows iptables-nft tables with xt matches). */
  iptablesNft: () => Promise<ToolResult>;
  /** `iptables-legacy-save -c`; null when not installed. */
  legacy: ToolResult | null;
}

/** The facts from the tools' outputs (pure but for asking iptables-nft-save when needed). */
export async function firewallFromOutputs(out: ToolOutputs): Promise<FirewallFacts> {
  const chains: FwChain[] = [];
  const sources: string[] = [];
  const gaps: string[] = [];
  const { nft, legacy } = out;
  if (nft?.ok) {
    const xtTables = new Set<string>();
    try {
      chains.push(...parseNftChains(nft.stdout || '{"nftables":[]}', xtTables));
      sources.push('nft -j list ruleset');
    } catch (err) {
      gaps.push(`cannot parse \`nft -j list ruleset\`: ${String(err)}`);
    }
    // Tables iptables-nft made with matches nft cannot show: read them as iptables sees them.
    const owned = [...xtTables].filter((t) => t.startsWith('ip ') && IPTABLES_TABLES.has(t.slice(3)));
    if (owned.length > 0) {
      const save = await out.iptablesNft();
      if (save.ok) {
        const ipt = parseIptablesChains(save.stdout, 'iptables-nft').filter((c) => owned.includes(`ip ${c.table}`));
        const replaced = new Set(ipt.map((c) => `ip ${c.table}`));
        chains.splice(0, chains.length, ...chains.filter((c) => !replaced.has(`${c.family} ${c.table}`)), ...ipt);
        sources.push('iptables-nft-save -c');
      } else {
        gaps.push(`tables ${owned.join(', ')} hold iptables matches nft cannot show, and iptables-nft-save failed: ${save.stderr.trim() || 'not installed'}`);
      }
    }
  } else if (nft) {
    gaps.push(`\`nft -j list ruleset\` failed: ${nft.stderr.trim()}`);
  }
  if (legacy?.ok && legacy.stdout.trim() !== '') {
    chains.push(...parseIptablesChains(legacy.stdout, 'iptables-legacy'));
    sources.push('iptables-legacy-save -c');
  } else if (legacy && !legacy.ok) {
    gaps.push(`\`iptables-legacy-save -c\` failed: ${legacy.stderr.trim()}`);
  }
  if (!nft && !legacy) {
    return { chains: [], sources: [], gaps: [], unavailable: 'neither `nft` nor `iptables-legacy-save` found: install them with `apt-get install nftables iptables`' };
  }
  if (!nft && sources.length === 0) {
    return { chains: [], sources, gaps: [], unavailable: [...gaps, '`nft` not found (install it with `apt-get install nftables`); legacy iptables holds no tables'].join('; ') };
  }
  if (sources.length === 0 && !legacy?.ok) return { chains: [], sources, gaps: [], unavailable: gaps.join('; ') || 'no firewall tool could be read' };
  const kept = relevantChains(chains);
  return { chains: kept.chains, sources, gaps: [...gaps, ...kept.gaps], unavailable: null };
}

/**
 * Whether legacy iptables holds tables in this namespace: the kernel lists
 * them in /proc/net/ip_tables_names (what iptables-legacy-save reads), so an
 * empty file spares a process; an unreadable one means "ask the tool".
 */
function legacyTablesPresent(): boolean {
  try {
    return readFileSync('/proc/net/ip_tables_names', 'utf8').trim() !== '';
  } catch {
    return true;
  }
}

const NO_LEGACY_TABLES: ToolResult = { missing: false, ok: true, stdout: '', stderr: '' };

export async function readFirewall(): Promise<FirewallFacts> {
  const [nft, legacy] = await Promise.all([
    runTool('nft', ['-j', 'list', 'ruleset']),
    legacyTablesPresent() ? runTool('iptables-legacy-save', ['-c']) : Promise.resolve(NO_LEGACY_TABLES),
  ]);
  return firewallFromOutputs({
    nft: nft.missing ? null : nft,
    legacy: legacy.missing ? null : legacy,
    iptablesNft: async () => {
      const save = await runTool('iptables-nft-save', ['-c']);
      return save.missing ? runTool('iptables-save', ['-c']) : save;
    },
  });
}

/** The firewall facts cut to about `maxBytes` of JSON (what the control channel carries to the peer). */
export function trimFirewall(fw: FirewallFacts, maxBytes: number): FirewallFacts {
  let budget = maxBytes;
  const gaps = [...fw.gaps];
  const chains = fw.chains.map((c) => {
    const rules: FwRule[] = [];
    for (const r of c.rules) {
      const size = JSON.stringify(r).length;
      if (size > budget) break;
      budget -= size;
      rules.push(r);
    }
    if (rules.length === c.rules.length) return c;
    gaps.push(`chain ${c.table}/${c.name} (${c.backend}) cut after ${rules.length} of ${c.rules.length} rules for the control channel`);
    return { ...c, rules, truncated: true };
  });
  return { ...fw, chains, gaps };
}
