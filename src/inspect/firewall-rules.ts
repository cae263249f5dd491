// Reads what a firewall rule selects from the text iptables-save or nft
// prints, just enough to tell whether a DROP/REJECT hits pod or VXLAN
// traffic. A rule with any selector we do not understand (tcp ports, marks,
// conntrack state...) counts as "specific" and is never blamed.
import type { FirewallRule } from '../host/types.js';
import { type Cidr, cidrsOverlap, parseCidr } from './ipv4.js';

export interface RuleSelectors {
  saddrs: Cidr[];
  daddrs: Cidr[];
  iifs: string[];
  oifs: string[];
  /** True when the rule selects UDP (its ports are in FirewallRule.udpDports). */
  udp: boolean;
  /** True when some selector was not understood: the rule hits only some traffic. */
  specific: boolean;
  /** nft rule handle when the text carries `# handle N`. */
  handle: number | null;
}

function tokenize(text: string): string[] {
  return text.match(/"[^"]*"|'[^']*'|\S+/g)?.map((t) => t.replace(/^["']|["']$/g, '')) ?? [];
}

const SKIP_WITH_ARG = new Set(['-A', '-I', '-j', '--jump', '-g', '--goto', '--reject-with', '--comment', 'comment', 'packets', 'bytes', 'type', 'code', '-t']);
const SKIP_WORDS = new Set([
  'counter', 'accept', 'drop', 'reject', 'with', 'icmp', 'icmpx', 'icmpv6', 'tcp-reset', 'return',
  '-m', 'comment', 'udp', 'multiport', '-p', '--protocol', 'meta', 'l4proto', 'ip', 'protocol', 'dport',
]);

export function parseRuleSelectors(rule: FirewallRule): RuleSelectors {
  const t = tokenize(rule.text.replace(/^\[\d+:\d+\]\s*/, ''));
  const sel: RuleSelectors = { saddrs: [], daddrs: [], iifs: [], oifs: [], udp: false, specific: false, handle: null };
  // The collector's own protocol reading wins over the text.
  if (rule.l4proto === 'udp') sel.udp = true;
  else if (rule.l4proto !== null && rule.l4proto !== undefined && rule.l4proto !== 'all') sel.specific = true;
  const addr = (list: Cidr[], v: string | undefined) => {
    const c = v ? parseCidr(v) : null;
    if (c) list.push(c);
    else sel.specific = true; // sets, negations, names
  };
  for (let i = 0; i < t.length; i++) {
    const tok = t[i]!;
    const next = t[i + 1];
    if (tok === '#' && next === 'handle') {
      sel.handle = Number(t[i + 2]);
      break;
    }
    if (tok === '!' ) { sel.specific = true; continue; }
    if (tok === '-s' || tok === '--source' || tok === 'saddr') { addr(sel.saddrs, next); i++; continue; }
    if (tok === '-d' || tok === '--destination' || tok === 'daddr') { addr(sel.daddrs, next); i++; continue; }
    if (tok === '-i' || tok === '--in-interface' || tok === 'iifname' || tok === 'iif') { if (next) sel.iifs.push(next); i++; continue; }
    if (tok === '-o' || tok === '--out-interface' || tok === 'oifname' || tok === 'oif') { if (next) sel.oifs.push(next); i++; continue; }
    if ((tok === '-p' || tok === '--protocol' || tok === 'l4proto' || tok === 'protocol') && next !== undefined) {
      if (next === 'udp') sel.udp = true;
      else if (next !== 'all') sel.specific = true;
      i++;
      continue;
    }
    if (tok === '--dport' || tok === '--dports' || tok === '--destination-port') { sel.udp = true; i++; continue; }
    if (tok === 'dport') { i++; continue; }
    if (tok === '-m' && next !== undefined) {
      if (next !== 'comment' && next !== 'udp' && next !== 'multiport') sel.specific = true;
      i++;
      continue;
    }
    if (SKIP_WITH_ARG.has(tok)) { i++; continue; }
    if (SKIP_WORDS.has(tok) || /^\d+$/.test(tok) || /^[A-Z][A-Z0-9_-]*$/.test(tok) || /^icmp/.test(tok) || /-prohibited$|-unreachable$/.test(tok)) continue;
    if (tok === '{' || tok === '}') { sel.specific = true; continue; }
    sel.specific = true;
  }
  return sel;
}

function ifaceMatches(pattern: string, names: string[]): boolean {
  if (pattern.endsWith('+') || pattern.endsWith('*')) {
    const stem = pattern.slice(0, -1);
    return names.some((n) => n.startsWith(stem));
  }
  return names.includes(pattern);
}

/** Does a (non-specific) forward rule select traffic of the pod network? */
export function hitsPodTraffic(sel: RuleSelectors, podNets: Cidr[], podIfaces: string[]): boolean {
  if (sel.specific) return false;
  if (sel.udp) return false; // only some UDP ports: not a blanket block of pod traffic
  const overlaps = (list: Cidr[]) => list.length === 0 || list.some((c) => podNets.some((p) => cidrsOverlap(c, p)));
  if (!overlaps(sel.saddrs) || !overlaps(sel.daddrs)) return false;
  const ifOk = (list: string[]) => list.length === 0 || list.some((p) => ifaceMatches(p, podIfaces));
  return ifOk(sel.iifs) && ifOk(sel.oifs);
}

/** Does an input rule select VXLAN to `port` arriving on the underlay? */
export function hitsVxlanPort(rule: FirewallRule, sel: RuleSelectors, port: number, underlay: string | null): boolean {
  if (sel.specific) return false;
  if (rule.udpDports.length > 0 && !rule.udpDports.includes(port)) return false;
  if (sel.udp && rule.udpDports.length === 0 && /dport/.test(rule.text)) return false; // ports we could not read
  if (sel.iifs.length > 0 && (underlay === null || !sel.iifs.some((p) => ifaceMatches(p, [underlay])))) return false;
  return true;
}

/** The command that deletes this rule. */
export function deleteRuleCommand(rule: FirewallRule, sel: RuleSelectors): string {
  if (rule.backend === 'iptables') {
    const text = rule.text.replace(/^\[\d+:\d+\]\s*/, '');
    const spec = /^-A\s+\S+\s*/.test(text) ? text.replace(/^-A\s+\S+\s*/, '') : text;
    return `iptables -t ${rule.table} -D ${rule.chain} ${spec}`.trim();
  }
  const table = rule.table.includes(' ') ? rule.table : `ip ${rule.table}`;
  if (sel.handle !== null && Number.isFinite(sel.handle)) return `nft delete rule ${table} ${rule.chain} handle ${sel.handle}`;
  return `nft -a list chain ${table} ${rule.chain}   # then: nft delete rule ${table} ${rule.chain} handle <N> for "${rule.text.trim()}"`;
}
