// Firewall facts: the filter FORWARD policy and every drop/reject rule, from
// `nft -j list ruleset` (on Debian iptables is iptables-nft, so this holds the
// iptables rules too) or, without nft, `iptables-legacy-save -c`. Rules that
// iptables-nft could only store as opaque xt matches (multiport, comment...)
// are read from `iptables-save -c` instead, which prints them in full.
import { execFile } from 'node:child_process';
import { childEnv } from './child-env.js';
import type { FirewallFacts, FirewallRule } from './types.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Obj = { [key: string]: Json };

const isObj = (v: Json | undefined): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const MAX_RANGE_EXPANSION = 1024;

export interface ParsedFirewall {
  forwardPolicy: 'accept' | 'drop' | null;
  rules: FirewallRule[];
}

function portsOf(right: Json | undefined): number[] {
  if (typeof right === 'number') return [right];
  if (Array.isArray(right)) return right.flatMap(portsOf);
  if (isObj(right)) {
    if ('set' in right) return portsOf(right.set);
    const range = right.range;
    if (Array.isArray(range) && typeof range[0] === 'number' && typeof range[1] === 'number') {
      const [lo, hi] = [range[0], range[1]];
      if (hi - lo >= MAX_RANGE_EXPANSION) return [lo, hi];
      return Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
    }
  }
  return [];
}

function renderValue(v: Json | undefined): string {
  if (v === null || v === undefined) return '';
  if (typeof v !== 'object') return String(v);
  if (Array.isArray(v)) return v.map(renderValue).join(', ');
  if ('set' in v) return `{ ${renderValue(v.set)} }`;
  if ('range' in v && Array.isArray(v.range)) return v.range.map(renderValue).join('-');
  if ('prefix' in v && isObj(v.prefix)) return `${renderValue(v.prefix.addr)}/${renderValue(v.prefix.len)}`;
  if ('payload' in v && isObj(v.payload)) return `${renderValue(v.payload.protocol)} ${renderValue(v.payload.field)}`;
  if ('meta' in v && isObj(v.meta)) return `meta ${renderValue(v.meta.key)}`;
  if ('ct' in v && isObj(v.ct)) return `ct ${renderValue(v.ct.key)}`;
  const [key] = Object.keys(v);
  return key ? `${key} ${renderValue(v[key])}` : '';
}

/** One nft expression as `nft list ruleset` would roughly print it. */
function renderExpr(e: Obj): string {
  const [key] = Object.keys(e);
  if (!key) return '';
  const body = e[key];
  switch (key) {
    case 'match': {
      if (!isObj(body)) return 'match';
      const op = body.op === '==' || body.op === 'in' ? '' : `${renderValue(body.op)} `;
      return `${renderValue(body.left)} ${op}${renderValue(body.right)}`;
    }
    case 'counter':
      return isObj(body) ? `counter packets ${renderValue(body.packets)} bytes ${renderValue(body.bytes)}` : 'counter';
    case 'reject':
      return isObj(body) && body.expr !== undefined ? `reject with ${renderValue(body.type)} ${renderValue(body.expr)}` : 'reject';
    case 'jump':
    case 'goto':
      return isObj(body) ? `${key} ${renderValue(body.target)}` : key;
    case 'xt':
      return isObj(body) ? `xt ${renderValue(body.type)} ${renderValue(body.name)}` : 'xt';
    default:
      return body === null ? key : `${key} ${renderValue(body)}`;
  }
}

function ruleFromNft(rule: Obj, hook: string | null): FirewallRule | null {
  const exprs = Array.isArray(rule.expr) ? rule.expr.filter(isObj) : [];
  let verdict: FirewallRule['verdict'] | null = null;
  let l4proto: string | null = null;
  const udpDports: number[] = [];
  let packets: number | null = null;
  for (const e of exprs) {
    if ('drop' in e) verdict = 'drop';
    else if ('reject' in e) verdict = 'reject';
    else if ('accept' in e) verdict ??= 'accept';
    else if (isObj(e.xt) && e.xt.type === 'target') {
      if (e.xt.name === 'REJECT') verdict = 'reject';
      else if (e.xt.name === 'DROP') verdict = 'drop';
    } else if (isObj(e.counter) && typeof e.counter.packets === 'number') {
      packets = e.counter.packets;
    } else if (isObj(e.match) && (e.match.op === '==' || e.match.op === 'in')) {
      const left = e.match.left;
      if (isObj(left) && isObj(left.payload)) {
        const proto = left.payload.protocol;
        if (typeof proto === 'string' && ['udp', 'tcp', 'sctp', 'dccp', 'udplite'].includes(proto)) {
          l4proto = proto;
        }
        if ((proto === 'udp' || proto === 'th') && left.payload.field === 'dport') {
          udpDports.push(...portsOf(e.match.right));
        }
      } else if (isObj(left) && isObj(left.meta) && left.meta.key === 'l4proto') {
        if (typeof e.match.right === 'string') l4proto = e.match.right;
      }
    }
  }
  if (verdict !== 'drop' && verdict !== 'reject') return null;
  return {
    backend: 'nftables',
    table: `${renderValue(rule.family)} ${renderValue(rule.table)}`,
    chain: renderValue(rule.chain),
    hook,
    verdict,
    l4proto,
    udpDports: l4proto === null || l4proto === 'udp' ? udpDports : [],
    text: exprs.map(renderExpr).join(' '),
    packets,
  };
}

/** Parses `nft -j list ruleset` output. `xtTables` receives "family table" keys holding xt exprs. */
export function parseNftRuleset(json: string, xtTables?: Set<string>): ParsedFirewall {
  const doc = JSON.parse(json) as Json;
  const items = isObj(doc) && Array.isArray(doc.nftables) ? doc.nftables.filter(isObj) : [];
  const hooks = new Map<string, string | null>();
  const forwardPolicies: string[] = [];
  for (const item of items) {
    const c = item.chain;
    if (!isObj(c)) continue;
    const hook = typeof c.hook === 'string' ? c.hook : null;
    hooks.set(`${renderValue(c.family)} ${renderValue(c.table)} ${renderValue(c.name)}`, hook);
    if (hook === 'forward' && c.type === 'filter' && typeof c.policy === 'string') forwardPolicies.push(c.policy);
  }
  const rules: FirewallRule[] = [];
  for (const item of items) {
    const r = item.rule;
    if (!isObj(r)) continue;
    const table = `${renderValue(r.family)} ${renderValue(r.table)}`;
    if (Array.isArray(r.expr) && r.expr.some((e) => isObj(e) && 'xt' in e)) xtTables?.add(table);
    const rule = ruleFromNft(r, hooks.get(`${table} ${renderValue(r.chain)}`) ?? null);
    if (rule) rules.push(rule);
  }
  return { forwardPolicy: policyOf(forwardPolicies), rules };
}

function policyOf(policies: string[]): 'accept' | 'drop' | null {
  if (policies.length === 0) return null;
  return policies.some((p) => p.toLowerCase() === 'drop') ? 'drop' : 'accept';
}

const BUILTIN_HOOKS: Record<string, string> = {
  INPUT: 'input',
  FORWARD: 'forward',
  OUTPUT: 'output',
  PREROUTING: 'prerouting',
  POSTROUTING: 'postrouting',
};

function iptablesPorts(spec: string): number[] {
  return spec.split(',').flatMap((part) => portsOf(part.includes(':')
    ? { range: part.split(':').map(Number) as Json[] }
    : Number(part)));
}

/** Parses the *filter table of `iptables-save -c` / `iptables-legacy-save -c` output. */
export function parseIptablesSave(text: string): ParsedFirewall {
  let table = '';
  const forwardPolicies: string[] = [];
  const rules: FirewallRule[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('*')) table = line.slice(1);
    if (table !== 'filter') continue;
    const policy = /^:FORWARD (\S+)/.exec(line);
    if (policy?.[1] && policy[1] !== '-') forwardPolicies.push(policy[1]);
    const m = /^(?:\[(\d+):\d+\]\s+)?-A (\S+) (.*)$/.exec(line);
    if (!m) continue;
    const [, pkts, chain = '', spec = ''] = m;
    const target = /(?:^|\s)-j (\S+)/.exec(spec)?.[1];
    const verdict = target === 'DROP' ? 'drop' : target === 'REJECT' ? 'reject' : null;
    if (!verdict) continue;
    const proto = /(?:^|\s)-p (\S+)/.exec(spec)?.[1] ?? null;
    const ports = /(?:^|\s)--dports? (\S+)/.exec(spec)?.[1];
    rules.push({
      backend: 'iptables',
      table: 'filter',
      chain,
      hook: BUILTIN_HOOKS[chain] ?? null,
      verdict,
      l4proto: proto,
      udpDports: proto === 'udp' && ports ? iptablesPorts(ports) : [],
      text: `-A ${chain} ${spec}`,
      packets: pkts === undefined ? null : Number(pkts),
    });
  }
  return { forwardPolicy: policyOf(forwardPolicies), rules };
}

interface ToolResult {
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

export async function readFirewall(): Promise<FirewallFacts> {
  const nft = await runTool('nft', ['-j', 'list', 'ruleset']);
  if (nft.ok) {
    const xtTables = new Set<string>();
    let parsed: ParsedFirewall;
    try {
      parsed = parseNftRuleset(nft.stdout || '{"nftables":[]}', xtTables);
    } catch (err) {
      return { forwardPolicy: null, rules: [], unavailable: `cannot parse \`nft -j list ruleset\`: ${String(err)}` };
    }
    if (xtTables.has('ip filter')) {
      const save = await runTool('iptables-save', ['-c', '-t', 'filter']);
      if (save.ok) {
        const ipt = parseIptablesSave(save.stdout);
        parsed.rules = [...parsed.rules.filter((r) => r.table !== 'ip filter'), ...ipt.rules];
      }
    }
    return { ...parsed, unavailable: null };
  }
  if (!nft.missing) {
    return { forwardPolicy: null, rules: [], unavailable: `\`nft -j list ruleset\` failed: ${nft.stderr.trim()}` };
  }
  const legacy = await runTool('iptables-legacy-save', ['-c']);
  if (legacy.ok) return { ...parseIptablesSave(legacy.stdout), unavailable: null };
  if (legacy.missing) {
    return {
      forwardPolicy: null,
      rules: [],
      unavailable: 'neither `nft` nor `iptables-legacy-save` found: install them with `apt-get install nftables iptables`',
    };
  }
  return { forwardPolicy: null, rules: [], unavailable: `\`iptables-legacy-save -c\` failed: ${legacy.stderr.trim()}` };
}
