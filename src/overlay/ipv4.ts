// IPv4 arithmetic for comparing kernel tables with cluster truth. Addresses
// are kept as unsigned 32-bit numbers so 1,000-peer clusters stay cheap.

export interface Cidr {
  base: number;
  len: number;
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

export function ipv4ToNumber(text: string): number | null {
  const m = IPV4.exec(text);
  if (!m) return null;
  let n = 0;
  for (let i = 1; i <= 4; i++) {
    const octet = Number(m[i]);
    if (octet > 255) return null;
    n = n * 256 + octet;
  }
  return n;
}

export function isIpv4(text: string): boolean {
  return ipv4ToNumber(text) !== null;
}

export function formatIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

function maskOf(len: number): number {
  return len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
}

/** 'a.b.c.d/len' (or a bare address as /32); host bits are cleared. */
export function parseCidr(text: string): Cidr | null {
  const [addr, lenText, extra] = text.split('/');
  if (addr === undefined || extra !== undefined) return null;
  const ip = ipv4ToNumber(addr);
  if (ip === null) return null;
  const len = lenText === undefined ? 32 : /^\d{1,2}$/.test(lenText) ? Number(lenText) : NaN;
  if (!(len >= 0 && len <= 32)) return null;
  return { base: (ip & maskOf(len)) >>> 0, len };
}

export function formatCidr(c: Cidr): string {
  return `${formatIpv4(c.base)}/${c.len}`;
}

export function cidrContainsIp(c: Cidr, ip: number): boolean {
  return ((ip & maskOf(c.len)) >>> 0) === c.base;
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  const len = Math.min(a.len, b.len);
  return ((a.base & maskOf(len)) >>> 0) === ((b.base & maskOf(len)) >>> 0);
}

/** Normalised 'a.b.c.d/len' text, or null when the text is not a CIDR. */
export function normaliseCidr(text: string): string | null {
  const c = parseCidr(text);
  return c ? formatCidr(c) : null;
}

/** The smallest CIDR containing all of `cidrs` (their common prefix). */
export function coveringCidr(cidrs: Cidr[]): Cidr | null {
  if (cidrs.length === 0) return null;
  let len = Math.min(...cidrs.map((c) => c.len));
  const first = cidrs[0]!.base;
  for (const c of cidrs) {
    const diff = (first ^ c.base) >>> 0;
    if (diff !== 0) len = Math.min(len, Math.clz32(diff));
  }
  return { base: (first & maskOf(len)) >>> 0, len };
}
