// Walks a host's firewall chains the way netfilter does, for one described
// packet: base chains of each hook in priority order (an ACCEPT ends only its
// own base chain; DROP/REJECT end everything), rules in order, jumps and
// gotos into user chains, RETURN, and the base chain's policy at the end.
// A match that cannot be evaluated for the packet forks the walk; if the
// branches disagree the answer is 'unknown' and names those matches, instead
// of guessing. See docs/architecture.md, "Firewall semantics".
import type { FirewallFacts, FwChain, FwMatch, FwRule } from '../host/types.js';
import { type Cidr, cidrContainsIp, cidrsOverlap, parseCidr } from './ipv4.js';

/**
 * The packet a question is about. Addresses and interfaces left null are
 * unknown: a rule matching on them cannot be evaluated. Protocol and ports
 * left null mean "traffic in general": some protocol and port no rule singles
 * out, so a rule for tcp/80 does not decide it (docs/architecture.md).
 */
export interface PacketQuestion {
  /** 'input': to this host (prerouting, input); 'forward': through it (prerouting, forward). */
  path: 'input' | 'forward';
  /** L4 protocol, null = traffic in general. */
  proto: string | null;
  /** Address ranges the packet's addresses lie in; null = any. */
  saddr: Cidr | null;
  daddr: Cidr | null;
  sport: number | null;
  dport: number | null;
  iif: string | null;
  oif: string | null;
  /** This host's own addresses (as numbers), for `addrtype --dst-type LOCAL` / `fib daddr type local`. */
  localAddrs: number[];
}

/** Where a verdict came from: a rule, or a base chain's policy (rule null). */
export interface FwStep {
  backend: FwChain['backend'];
  family: string;
  table: string;
  chain: string;
  rule: FwRule | null;
  policy: 'accept' | 'drop' | null;
}

export interface FwOutcome {
  verdict: 'accept' | 'drop' | 'unknown';
  /** The dropping rule or policy (drop), the rule that could not be followed (unknown), the last accepting step or null (accept). */
  by: FwStep | null;
  /** The unevaluated matches assumed to hold or not on this branch. */
  assumed: string[];
}

export interface FirewallAnswer {
  verdict: 'accept' | 'drop' | 'unknown';
  by: FwStep | null;
  /** Matches the walk could not evaluate and that decide between outcomes. */
  undecided: string[];
  outcomes: FwOutcome[];
}

type Tri = 'yes' | 'no' | 'maybe';
const PORTLESS = new Set(['icmp', 'ipv6-icmp', 'icmpv6', 'igmp', 'gre', 'esp', 'ah']);
const MAX_FORKS = 64;
const MAX_DEPTH = 32;

function ifaceMatches(pattern: string, name: string): boolean {
  if (pattern.endsWith('+') || pattern.endsWith('*')) return name.startsWith(pattern.slice(0, -1));
  return pattern === name;
}

function cidrTri(values: string[], pkt: Cidr | null): Tri {
  if (pkt === null) return 'maybe';
  let result: Tri = 'no';
  for (const v of values) {
    const c = parseCidr(v);
    if (!c) {
      result = 'maybe';
      continue;
    }
    if (c.len <= pkt.len && cidrContainsIp(c, pkt.base)) return 'yes';
    if (cidrsOverlap(c, pkt)) result = 'maybe';
  }
  return result;
}

function portTri(values: string[], port: number | null, proto: string | null): Tri {
  if ((proto !== null && PORTLESS.has(proto)) || port === null) return 'no';
  for (const v of values) {
    const [lo, hi = lo] = v.split('-').map(Number);
    if (lo === undefined || hi === undefined || !Number.isFinite(lo) || !Number.isFinite(hi)) return 'maybe';
    if (port >= lo && port <= hi) return 'yes';
  }
  return 'no';
}

function fieldTri(m: FwMatch, p: PacketQuestion): Tri {
  switch (m.field) {
    case 'proto':
      if (m.values.includes('all')) return 'yes';
      if (p.proto === null) return 'no';
      return m.values.includes(p.proto) ? 'yes' : 'no';
    case 'dport':
      return portTri(m.values, p.dport, p.proto);
    case 'sport':
      return portTri(m.values, p.sport, p.proto);
    case 'saddr':
      return cidrTri(m.values, p.saddr);
    case 'daddr':
      return cidrTri(m.values, p.daddr);
    case 'iif':
      return p.iif === null ? 'maybe' : m.values.some((v) => ifaceMatches(v, p.iif!)) ? 'yes' : 'no';
    case 'oif':
      return p.oif === null ? 'maybe' : m.values.some((v) => ifaceMatches(v, p.oif!)) ? 'yes' : 'no';
    case 'ctstate':
      // The first packet of a flow: conntrack state NEW, no NAT status.
      return m.values.includes('new') ? 'yes' : 'no';
    case 'mark': {
      // Packets of the overlay carry no mark unless something set one: 0.
      const [value, mask] = (m.values[0] ?? '').split('/').map(Number);
      if (value === undefined || mask === undefined || !Number.isFinite(value) || !Number.isFinite(mask)) return 'maybe';
      return (0 & mask) === value ? 'yes' : 'no';
    }
    case 'nfproto':
      return m.values.includes('ipv4') ? 'yes' : 'no';
    case 'addrtype-dst': {
      if (!m.values.every((v) => v === 'LOCAL') || p.daddr === null) return 'maybe';
      const local = p.localAddrs.filter((a) => cidrContainsIp(p.daddr!, a));
      if (local.length === 0) return 'no';
      return p.daddr.len === 32 ? 'yes' : 'maybe';
    }
    case 'unknown':
      return 'maybe';
  }
}

export function matchText(m: FwMatch): string {
  return m.field === 'unknown' ? m.values.join(' ') : `${m.neg ? '! ' : ''}${m.field} ${m.values.join(',')}`;
}

/** Does the rule select the packet? 'maybe' names the matches that could not be evaluated. */
export function ruleSelects(rule: FwRule, p: PacketQuestion): { result: Tri; unsure: string[] } {
  const unsure: string[] = [];
  for (const m of rule.matches) {
    let t = fieldTri(m, p);
    if (m.neg && t !== 'maybe') t = t === 'yes' ? 'no' : 'yes';
    if (t === 'no') return { result: 'no', unsure: [] };
    if (t === 'maybe') unsure.push(matchText(m));
  }
  return { result: unsure.length > 0 ? 'maybe' : 'yes', unsure };
}

type End = { kind: 'accept' | 'drop' | 'unknown' | 'return'; by: FwStep | null; assumed: string[] };

interface Walk {
  p: PacketQuestion;
  chains: Map<string, FwChain>;
  forks: number;
  skipped: string[];
}

const key = (c: FwChain, name: string) => `${c.backend} ${c.family} ${c.table} ${name}`;
const step = (c: FwChain, rule: FwRule | null): FwStep => ({ backend: c.backend, family: c.family, table: c.table, chain: c.name, rule, policy: rule ? null : c.policy });

function runRules(w: Walk, chain: FwChain, start: number, assumed: string[], depth: number): End[] {
  for (let i = start; i < chain.rules.length; i++) {
    const rule = chain.rules[i]!;
    if (rule.action.kind === 'continue') continue;
    const sel = ruleSelects(rule, w.p);
    if (sel.result === 'no') continue;
    if (sel.result === 'maybe') {
      const what = `${chain.table}/${chain.name}: "${rule.text}" (cannot evaluate ${sel.unsure.join(', ')})`;
      if (w.forks <= 0) {
        w.skipped.push(what);
        continue;
      }
      w.forks--;
      return [
        ...take(w, chain, i, [...assumed, `if it matches: ${what}`], depth),
        ...runRules(w, chain, i + 1, [...assumed, `if it does not match: ${what}`], depth),
      ];
    }
    return take(w, chain, i, assumed, depth);
  }
  if (chain.truncated) return [{ kind: 'unknown', by: step(chain, null), assumed: [...assumed, `chain ${chain.table}/${chain.name} was cut: its remaining rules were not read`] }];
  return [{ kind: 'return', by: null, assumed }];
}

function take(w: Walk, chain: FwChain, i: number, assumed: string[], depth: number): End[] {
  const rule = chain.rules[i]!;
  const by = step(chain, rule);
  switch (rule.action.kind) {
    case 'accept':
      return [{ kind: 'accept', by, assumed }];
    case 'drop':
    case 'reject':
      return [{ kind: 'drop', by, assumed }];
    case 'return':
      return [{ kind: 'return', by: null, assumed }];
    case 'jump':
    case 'goto': {
      const target = rule.action.target === null ? undefined : w.chains.get(key(chain, rule.action.target));
      if (!target || depth >= MAX_DEPTH) return [{ kind: 'unknown', by, assumed: [...assumed, `chain ${rule.action.target} was not read`] }];
      const out: End[] = [];
      for (const e of runRules(w, target, 0, assumed, depth + 1)) {
        if (e.kind !== 'return') out.push(e);
        else if (rule.action.kind === 'jump') out.push(...runRules(w, chain, i + 1, e.assumed, depth));
        else out.push(e); // a goto'd chain returns to our caller
      }
      return out;
    }
    default:
      return [{ kind: 'unknown', by, assumed: [...assumed, `cannot follow "${rule.text}"`] }];
  }
}

const HOOK_ORDER: Record<PacketQuestion['path'], string[]> = { input: ['prerouting', 'input'], forward: ['prerouting', 'forward'] };

/** The base chains a packet on `path` meets, in the order netfilter runs them. */
export function baseChainsFor(fw: FirewallFacts, path: PacketQuestion['path']): FwChain[] {
  return HOOK_ORDER[path].flatMap((hook) =>
    fw.chains
      .filter((c) => c.hook === hook && (c.family === 'ip' || c.family === 'inet'))
      .sort((a, b) => (a.priority ?? 0) - (b.priority ?? 0)),
  );
}

/** Would this host's firewall accept the packet? */
export function evaluateFirewall(fw: FirewallFacts, p: PacketQuestion): FirewallAnswer {
  const w: Walk = { p, chains: new Map(fw.chains.map((c) => [key(c, c.name), c])), forks: MAX_FORKS, skipped: [] };
  let open: End[] = [{ kind: 'accept', by: null, assumed: [] }];
  const closed: End[] = [];
  for (const base of baseChainsFor(fw, p.path)) {
    const next: End[] = [];
    for (const o of open) {
      for (const e of runRules(w, base, 0, o.assumed, 0)) {
        if (e.kind === 'return') {
          const policy = base.policy ?? 'accept';
          (policy === 'drop' ? closed : next).push({ kind: policy, by: policy === 'drop' ? step(base, null) : o.by, assumed: e.assumed });
        } else if (e.kind === 'accept') next.push(e);
        else closed.push(e);
      }
    }
    open = next;
  }
  const outcomes: FwOutcome[] = [...closed, ...open].map((e) => ({ verdict: e.kind as FwOutcome['verdict'], by: e.by, assumed: e.assumed }));
  const verdicts = new Set(outcomes.map((o) => o.verdict));
  const first = outcomes.find((o) => o.verdict === 'drop') ?? outcomes[0]!;
  if (verdicts.size === 1 && first.verdict !== 'unknown') {
    return { verdict: first.verdict, by: first.by, undecided: w.skipped, outcomes };
  }
  const undecided = [...new Set(outcomes.flatMap((o) => o.assumed).map((a) => a.replace(/^if it (does not )?match(es)?: /, ''))), ...w.skipped];
  return { verdict: 'unknown', by: first.by, undecided, outcomes };
}

/** One line naming the rule or policy behind a verdict. */
export function describeStep(s: FwStep): string {
  const where = `${s.backend} ${s.family === 'ip' && s.backend !== 'nftables' ? '' : `${s.family} `}${s.table}/${s.chain}`;
  if (!s.rule) return `${where} policy ${String(s.policy).toUpperCase()}`;
  return `${where}: ${s.rule.text}${s.rule.packets !== null ? ` (${s.rule.packets} packets)` : ''}`;
}
