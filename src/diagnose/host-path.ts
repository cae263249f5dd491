// What the receiving host itself does to overlay traffic after its VTEP
// decapsulated it: forwarding to pods (ip_forward, FORWARD rules) and the
// reverse-path filter. Read from its host facts; pure.
import type { FirewallRule, HostFacts } from '../host/types.js';
import type { EvidenceItem } from './types.js';

function ipToInt(ip: string): number | null {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(ip);
  if (!m) return null;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return null;
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

function cidrContains(cidr: string, ip: string): boolean {
  const [net, lenText] = cidr.split('/');
  const len = lenText === undefined ? 32 : Number(lenText);
  const a = ipToInt(net ?? '');
  const b = ipToInt(ip);
  if (a === null || b === null || !(len >= 0 && len <= 32)) return false;
  const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
  return (a & mask) === (b & mask);
}

const ADDRESS = /\b\d{1,3}(?:\.\d{1,3}){3}(?:\/\d{1,2})?\b/g;
const NARROWING = /\b(saddr|daddr|iifname|oifname|iif|oif|ct state|established|related|mark)\b|(^|\s)-[sdio]\s|--ctstate|--state/;

/**
 * FORWARD-hook rules that drop or reject traffic to the pod network: rules
 * naming an address range that holds `podIp`, or rules that match everything
 * (the stock CentOS `-A FORWARD -j REJECT --reject-with icmp-host-prohibited`).
 */
export function forwardRulesHitting(facts: HostFacts, podIp: string): FirewallRule[] {
  return facts.firewall.rules.filter((r) => {
    if (r.hook !== 'forward' || (r.verdict !== 'drop' && r.verdict !== 'reject')) return false;
    if (r.udpDports.length > 0) return false;
    const addrs = r.text.match(ADDRESS) ?? [];
    if (addrs.length > 0) return addrs.some((a) => cidrContains(a, podIp));
    return !NARROWING.test(r.text);
  });
}

/** rp_filter in force on a device: the kernel uses max(all, device). */
export function rpFilterOn(facts: HostFacts, device: string): number {
  return Math.max(facts.sysctls.rpFilter.all ?? 0, facts.sysctls.rpFilter[device] ?? 0);
}

/**
 * Reasons the receiving host will not hand decapsulated traffic on to its pods
 * although its VTEP answers. `podIp` is an address in its pod network (its VTEP's).
 */
export function forwardingBlocks(facts: HostFacts, name: string, podIp: string): EvidenceItem[] {
  const out: EvidenceItem[] = [];
  if (!facts.sysctls.ipForward) {
    out.push({ kind: 'ip-forward-off', message: `${name} has net.ipv4.ip_forward=0: it decapsulates overlay frames but never forwards them to pods`, data: { sysctl: 'net.ipv4.ip_forward', value: 0 } });
  }
  for (const r of forwardRulesHitting(facts, podIp)) {
    out.push({ kind: 'forward-rule', message: `${name} ${r.backend} ${r.table}/${r.chain}: ${r.text}${r.packets !== null ? ` (${r.packets} packets)` : ''}`, data: { ...r } });
  }
  return out;
}

/** Rules on the receiving host's input path that drop or reject udp/port. */
export function inputRulesFor(facts: HostFacts, port: number): FirewallRule[] {
  return facts.firewall.rules.filter(
    (r) =>
      (r.verdict === 'drop' || r.verdict === 'reject') &&
      (r.hook === 'input' || r.hook === 'prerouting') &&
      (r.l4proto === null || r.l4proto === 'udp') &&
      (r.udpDports.length === 0 ? !NARROWING.test(r.text) || /udp/.test(r.text) : r.udpDports.includes(port)),
  );
}
