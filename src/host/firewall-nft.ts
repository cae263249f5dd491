// `nft -j list ruleset` -> normalised chains (FwChain), every rule in order
// with its verdict, jumps and the matches the overlay cares about. Anything
// else becomes an 'unknown' match carrying its text, so the rule layer can
// say "cannot tell" instead of guessing (docs/architecture.md, "Firewall semantics").
import type { FwAction, FwChain, FwMatch, FwRule } from './types.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Obj = { [key: string]: Json };

const isObj = (v: Json | undefined): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: Json | undefined): string => (v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));

/** Named sets and verdict maps of one table, for `@name` references. */
interface Named {
  sets: Map<string, Json[]>;
  maps: Map<string, Json[]>;
}

export function renderValue(v: Json | undefined): string {
  if (v === null || v === undefined) return '';
  if (typeof v !== 'object') return String(v);
  if (Array.isArray(v)) return v.map(renderValue).join(', ');
  if ('set' in v) return `{ ${renderValue(v.set)} }`;
  if ('range' in v && Array.isArray(v.range)) return v.range.map(renderValue).join('-');
  if ('prefix' in v && isObj(v.prefix)) return `${renderValue(v.prefix.addr)}/${renderValue(v.prefix.len)}`;
  if ('payload' in v && isObj(v.payload)) return `${renderValue(v.payload.protocol)} ${renderValue(v.payload.field)}`;
  if ('meta' in v && isObj(v.meta)) return `meta ${renderValue(v.meta.key)}`;
  if ('ct' in v && isObj(v.ct)) return `ct ${renderValue(v.ct.key)}`;
  if ('concat' in v && Array.isArray(v.concat)) return v.concat.map(renderValue).join(' . ');
  if ('&' in v && Array.isArray(v['&'])) return v['&'].map(renderValue).join(' & ');
  if ('fib' in v && isObj(v.fib)) return `fib ${renderValue(v.fib.flags)} ${renderValue(v.fib.result)}`;
  const [key] = Object.keys(v);
  return key ? `${key} ${renderValue(v[key])}` : '';
}

/**
 * A rule's text with its counter's values taken out (`counter packets 5 bytes
 * 420` becomes `counter`): what the rule is, apart from the traffic it saw.
 */
export function ruleTextWithoutCounters(text: string): string {
  return text.replace(/\bcounter packets \S+ bytes \S+/g, 'counter');
}

/** One nft expression roughly as `nft list ruleset` prints it. */
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
    case 'vmap':
      return isObj(body) ? `${renderValue(body.key)} vmap ${renderValue(body.data)}` : 'vmap';
    default:
      return body === null ? key : `${key} ${renderValue(body)}`;
  }
}

/** The elements of a match's right side: literals, prefixes, ranges, sets, `@set`. */
function elements(right: Json | undefined, named: Named): Json[] | null {
  if (typeof right === 'string' && right.startsWith('@')) return named.sets.get(right.slice(1)) ?? null;
  if (isObj(right) && 'set' in right) return Array.isArray(right.set) ? right.set : [right.set];
  if (Array.isArray(right)) return right;
  return right === undefined ? null : [right];
}

/** One set element as match text: '10.0.0.0/8', '8000-8100', 'udp', or null when not a plain value. */
function elementText(e: Json, field: FwMatch['field']): string | null {
  if (isObj(e) && 'elem' in e && isObj(e.elem)) return elementText(e.elem.val ?? null, field);
  if (typeof e === 'number') return field === 'proto' ? (PROTO_NUMBERS[e] ?? String(e)) : String(e);
  if (typeof e === 'string') return e;
  if (isObj(e) && isObj(e.prefix)) return `${str(e.prefix.addr)}/${str(e.prefix.len)}`;
  if (isObj(e) && Array.isArray(e.range) && (field === 'dport' || field === 'sport')) return `${str(e.range[0])}-${str(e.range[1])}`;
  return null;
}

const PROTO_NUMBERS: Record<number, string> = { 1: 'icmp', 6: 'tcp', 17: 'udp', 58: 'ipv6-icmp', 132: 'sctp' };

/** Which packet field an nft left-hand expression reads, or null. */
function fieldOf(left: Json | undefined): FwMatch['field'] | null {
  if (!isObj(left)) return null;
  if (isObj(left.payload)) {
    const { protocol, field } = left.payload;
    if ((protocol === 'ip' && field === 'saddr') || (protocol === 'ip' && field === 'daddr')) return field;
    if (protocol === 'ip' && field === 'protocol') return 'proto';
    if ((field === 'dport' || field === 'sport') && typeof protocol === 'string') return field;
    return null;
  }
  if (isObj(left.meta)) {
    const k = left.meta.key;
    if (k === 'l4proto') return 'proto';
    if (k === 'iifname' || k === 'iif') return 'iif';
    if (k === 'oifname' || k === 'oif') return 'oif';
    if (k === 'nfproto') return 'nfproto';
    if (k === 'mark') return 'mark';
    return null;
  }
  if (isObj(left.ct) && (left.ct.key === 'state' || left.ct.key === 'status') && left.ct.dir === undefined) return 'ctstate';
  if (isObj(left.fib) && left.fib.result === 'type' && Array.isArray(left.fib.flags) && left.fib.flags.length === 1 && left.fib.flags[0] === 'daddr') {
    return 'addrtype-dst';
  }
  if (Array.isArray(left['&']) && isObj(left['&'][0]) && isObj(left['&'][0].meta) && left['&'][0].meta.key === 'mark') return 'mark';
  return null;
}

/** One nft `match` as FwMatches (a transport port also selects its protocol); unknown when unreadable. */
function matchOf(body: Obj, named: Named, text: string): FwMatch[] {
  const unknown: FwMatch[] = [{ field: 'unknown', neg: false, values: [text] }];
  const op = body.op;
  if (op !== '==' && op !== '!=' && op !== 'in') return unknown;
  const field = fieldOf(body.left);
  if (!field) {
    // A header field we do not evaluate still names its protocol: an ICMPv6
    // type never matches IPv4, a TCP flag never matches UDP.
    const proto = isObj(body.left) && isObj(body.left.payload) ? body.left.payload.protocol : null;
    if (proto === 'ip6' || proto === 'icmpv6') return [{ field: 'nfproto', neg: false, values: ['ipv6'] }, ...unknown];
    if (typeof proto === 'string' && ['tcp', 'udp', 'icmp', 'sctp', 'udplite', 'dccp'].includes(proto)) return [{ field: 'proto', neg: false, values: [proto] }, ...unknown];
    return unknown;
  }
  const neg = op === '!=';
  if (field === 'mark') {
    const and = isObj(body.left) && Array.isArray(body.left['&']) ? body.left['&'] : null;
    const mask = and ? Number(and[1]) : 0xffffffff;
    const value = Number(body.right);
    if (!Number.isFinite(mask) || !Number.isFinite(value)) return unknown;
    return [{ field, neg, values: [`0x${value.toString(16)}/0x${(mask >>> 0).toString(16)}`] }];
  }
  const elems = elements(body.right, named);
  if (!elems) return unknown;
  const values: string[] = [];
  for (const e of elems) {
    const t = elementText(e, field);
    if (t === null) return unknown;
    values.push(field === 'addrtype-dst' ? t.toUpperCase() : field === 'iif' || field === 'oif' ? t : t.toLowerCase());
  }
  const out: FwMatch[] = [{ field, neg, values }];
  const proto = isObj(body.left) && isObj(body.left.payload) ? body.left.payload.protocol : null;
  if ((field === 'dport' || field === 'sport') && typeof proto === 'string' && proto !== 'th') out.unshift({ field: 'proto', neg: false, values: [proto] });
  return out;
}

const CONTINUE_STATEMENTS = new Set(['counter', 'log', 'mangle', 'notrack', 'meta', 'ct', 'set', 'map', 'comment', 'dup', 'synproxy', 'secmark', 'tproxy', 'flow']);

function actionOfXtTarget(name: string): FwAction {
  if (name === 'ACCEPT') return { kind: 'accept', target: null };
  if (name === 'DROP') return { kind: 'drop', target: null };
  if (name === 'REJECT') return { kind: 'reject', target: null };
  if (name === 'RETURN') return { kind: 'return', target: null };
  if (['LOG', 'MARK', 'CONNMARK', 'NFLOG', 'CT', 'NOTRACK', 'CHECKSUM', 'TCPMSS'].includes(name)) return { kind: 'continue', target: null };
  return { kind: 'unknown', target: name };
}

function verdictOf(v: Json): FwAction | null {
  if (!isObj(v)) return null;
  if ('accept' in v) return { kind: 'accept', target: null };
  if ('drop' in v) return { kind: 'drop', target: null };
  if ('return' in v) return { kind: 'return', target: null };
  if ('continue' in v) return { kind: 'continue', target: null };
  for (const k of ['jump', 'goto'] as const) if (isObj(v[k]) && typeof v[k].target === 'string') return { kind: k, target: v[k].target };
  return null;
}

/**
 * A verdict map (`ip daddr . th dport vmap @m`) becomes one rule per element,
 * each matching the element's key parts, so it is walked like a chain.
 */
function expandVmap(body: Obj, prefix: FwMatch[], named: Named, base: Omit<FwRule, 'matches' | 'action'>): FwRule[] | null {
  const data = body.data;
  const elems = typeof data === 'string' && data.startsWith('@') ? named.maps.get(data.slice(1)) : isObj(data) && Array.isArray(data.set) ? data.set : null;
  if (!elems) return null;
  const keys = isObj(body.key) && Array.isArray(body.key.concat) ? body.key.concat : [body.key ?? null];
  const out: FwRule[] = [];
  for (const el of elems) {
    if (!Array.isArray(el) || el.length !== 2) return null;
    const [k, v] = el as [Json, Json];
    const parts = isObj(k) && Array.isArray(k.concat) ? k.concat : [k];
    const action = verdictOf(v);
    if (!action || parts.length !== keys.length) return null;
    const matches = [...prefix];
    keys.forEach((left, i) => matches.push(...matchOf({ op: '==', left, right: parts[i] ?? null }, named, `${renderValue(left)} ${renderValue(parts[i])}`)));
    out.push({ ...base, matches, action, text: `${base.text} [element ${renderValue(k)} : ${action.kind}${action.target ? ` ${action.target}` : ''}]` });
  }
  return out;
}

function rulesOf(rule: Obj, named: Named): FwRule[] {
  const exprs = Array.isArray(rule.expr) ? rule.expr.filter(isObj) : [];
  const matches: FwMatch[] = [];
  let action: FwAction = { kind: 'continue', target: null };
  let packets: number | null = null;
  const text = exprs.map(renderExpr).join(' ');
  const handle = typeof rule.handle === 'number' ? rule.handle : null;
  for (const e of exprs) {
    const [key] = Object.keys(e);
    if (!key) continue;
    const body = e[key];
    if (key === 'match' && isObj(body)) matches.push(...matchOf(body, named, renderExpr(e)));
    else if (key === 'counter' && isObj(body) && typeof body.packets === 'number') packets = body.packets;
    else if (key === 'accept' || key === 'drop' || key === 'return') action = { kind: key, target: null };
    else if (key === 'reject') action = { kind: 'reject', target: null };
    else if ((key === 'jump' || key === 'goto') && isObj(body) && typeof body.target === 'string') action = { kind: key, target: body.target };
    else if (key === 'vmap' && isObj(body)) {
      const expanded = expandVmap(body, matches, named, { text, packets, handle });
      if (expanded) return expanded;
      action = { kind: 'unknown', target: null };
    } else if (key === 'xt' && isObj(body)) {
      if (body.type === 'target') action = actionOfXtTarget(str(body.name));
      else matches.push({ field: 'unknown', neg: false, values: [renderExpr(e)] });
    } else if (key === 'queue' || key === 'nat' || key === 'snat' || key === 'dnat' || key === 'masquerade' || key === 'redirect') {
      action = { kind: 'unknown', target: key };
    } else if (!CONTINUE_STATEMENTS.has(key)) {
      // limit, quota and friends select only some packets: say so.
      matches.push({ field: 'unknown', neg: false, values: [renderExpr(e)] });
    }
  }
  return [{ matches, action, text, packets, handle }];
}

/** Parses `nft -j list ruleset`. `xtTables` receives "family table" keys holding xt expressions. */
export function parseNftChains(json: string, xtTables?: Set<string>): FwChain[] {
  const doc = JSON.parse(json) as Json;
  const items = isObj(doc) && Array.isArray(doc.nftables) ? doc.nftables.filter(isObj) : [];
  const named = new Map<string, Named>();
  const namedOf = (family: Json | undefined, table: Json | undefined): Named => {
    const key = `${str(family)} ${str(table)}`;
    let n = named.get(key);
    if (!n) named.set(key, (n = { sets: new Map(), maps: new Map() }));
    return n;
  };
  const chains = new Map<string, FwChain>();
  for (const item of items) {
    const set = item.set ?? item.map;
    if (isObj(set) && typeof set.name === 'string') {
      const n = namedOf(set.family, set.table);
      const elem = Array.isArray(set.elem) ? set.elem : [];
      (item.map ? n.maps : n.sets).set(set.name, elem);
    }
    const c = item.chain;
    if (!isObj(c) || typeof c.name !== 'string') continue;
    const policy = c.policy === 'drop' ? 'drop' : c.policy === 'accept' ? 'accept' : null;
    chains.set(`${str(c.family)} ${str(c.table)} ${c.name}`, {
      backend: 'nftables',
      family: str(c.family),
      table: str(c.table),
      name: c.name,
      hook: typeof c.hook === 'string' ? c.hook : null,
      priority: typeof c.prio === 'number' ? c.prio : null,
      type: typeof c.type === 'string' ? c.type : null,
      policy: typeof c.hook === 'string' ? (policy ?? 'accept') : null,
      rules: [],
    });
  }
  for (const item of items) {
    const r = item.rule;
    if (!isObj(r)) continue;
    const table = `${str(r.family)} ${str(r.table)}`;
    if (Array.isArray(r.expr) && r.expr.some((e) => isObj(e) && 'xt' in e)) xtTables?.add(table);
    chains.get(`${table} ${str(r.chain)}`)?.rules.push(...rulesOf(r, namedOf(r.family, r.table)));
  }
  return [...chains.values()];
}
