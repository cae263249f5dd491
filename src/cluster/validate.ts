// Field-level validation shared by the node-document and etcd-lease parsers:
// every failure is a UsageError naming the exact field path, never a crash.
import { UsageError } from '../errors.js';
import { isIpv4, normaliseCidr } from '../overlay/ipv4.js';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type JsonObject = { [k: string]: Json };

export function fieldError(path: string, problem: string): UsageError {
  return new UsageError(`${path}: ${problem}`);
}

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function parseJsonText(text: string, path: string): Json {
  try {
    return JSON.parse(text) as Json;
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw fieldError(path, `not JSON (${why})`);
  }
}

export function optionalObject(v: Json | undefined, path: string): JsonObject | null {
  if (v === undefined || v === null) return null;
  if (!isObject(v)) throw fieldError(path, `expected an object, got ${describe(v)}`);
  return v;
}

export function optionalString(v: Json | undefined, path: string): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') throw fieldError(path, `expected a string, got ${describe(v)}`);
  return v;
}

export function requiredString(v: Json | undefined, path: string): string {
  const s = optionalString(v, path);
  if (s === null || s === '') throw fieldError(path, 'missing');
  return s;
}

export function optionalArray(v: Json | undefined, path: string): Json[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw fieldError(path, `expected an array, got ${describe(v)}`);
  return v;
}

export function ipv4Field(v: string, path: string): string {
  if (!isIpv4(v)) throw fieldError(path, `not an IPv4 address: ${JSON.stringify(v)}`);
  return v;
}

export function cidrField(v: string, path: string): string {
  const c = normaliseCidr(v);
  if (!c || !v.includes('/')) throw fieldError(path, `not an IPv4 CIDR: ${JSON.stringify(v)}`);
  return c;
}

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;

export function macField(v: Json | undefined, path: string): string {
  const s = requiredString(v, path);
  if (!MAC.test(s)) throw fieldError(path, `not a MAC address: ${JSON.stringify(s)}`);
  return s.toLowerCase();
}

export function vniField(v: Json | undefined, path: string): number | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= 1 << 24) {
    throw fieldError(path, `not a VNI (0..16777215): ${JSON.stringify(v)}`);
  }
  return v;
}

export function portField(v: Json | undefined, path: string): number | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 65535) {
    throw fieldError(path, `not a UDP port: ${JSON.stringify(v)}`);
  }
  return v === 0 ? null : v;
}

function describe(v: Json): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `${typeof v} ${JSON.stringify(v)}`;
}

/** `a.b["x/y"]` style path segment for keys that are not identifiers. */
export function keyPath(base: string, key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${base}.${key}` : `${base}[${JSON.stringify(key)}]`;
}
