// Parsing of user-supplied addresses for the CLI: each failure is a one-line
// UsageError (exit 2) that shows what was given and what is expected.
import { UsageError } from '../errors.js';

function shown(text: string): string {
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
}

const MAC_RE = /^[0-9a-f]{2}(?::[0-9a-f]{2}){5}$/i;

/** A MAC as six colon-separated hex pairs; returned in lower case. */
export function parseMac(text: string): string {
  const t = text.trim();
  if (!MAC_RE.test(t)) {
    throw new UsageError(`invalid MAC ${shown(text)}: expected six hex pairs like 02:42:ac:11:00:02`);
  }
  return t.toLowerCase();
}

/** A dotted-quad IPv4 address (no leading zeros, each part 0..255). */
export function parseIpv4(text: string): string {
  const t = text.trim();
  const parts = t.split('.');
  const ok =
    parts.length === 4 &&
    parts.every((p) => /^(0|[1-9][0-9]{0,2})$/.test(p) && Number(p) <= 255);
  if (!ok) {
    throw new UsageError(`invalid IPv4 address ${shown(text)}: expected four numbers 0-255 like 10.0.0.1`);
  }
  return t;
}

function parseIntIn(text: string, what: string, min: number, max: number, example: string): number {
  const t = text.trim();
  const n = /^[0-9]+$/.test(t) ? Number(t) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`invalid ${what} ${shown(text)}: expected an integer ${min}..${max} like ${example}`);
  }
  return n;
}

/** A UDP port 1..65535. */
export function parsePort(text: string): number {
  return parseIntIn(text, 'port', 1, 65535, '8472');
}

/** A VXLAN network identifier 0..16777215 (24 bits). */
export function parseVni(text: string): number {
  return parseIntIn(text, 'VNI', 0, 16777215, '1');
}
