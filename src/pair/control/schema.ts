// A tiny strict validator for control-channel messages. Everything a peer sends
// is checked against one of these before any code acts on it: objects have
// exactly the declared keys, strings and arrays have maximum lengths, numbers
// have ranges. No dependency, and every failure names the path of the bad
// value without echoing the value itself (peers may be hostile).

export class SchemaError extends Error {
  constructor(
    readonly path: string,
    readonly expected: string,
  ) {
    super(`${path || 'message'}: ${expected}`);
    this.name = 'SchemaError';
  }
}

export interface Schema<T> {
  /** A short human description used in error messages ("integer 1..65535"). */
  readonly describe: string;
  /** Returns the value typed as T, or throws SchemaError naming `path`. */
  check(value: unknown, path?: string): T;
}

export type Infer<S> = S extends Schema<infer T> ? T : never;

/** Marker for object fields that may be absent (never `undefined` on the wire). */
export interface OptionalSchema<T> extends Schema<T> {
  readonly optional: true;
}

type Shape = Record<string, Schema<unknown>>;
type RequiredKeys<S extends Shape> = { [K in keyof S]: S[K] extends OptionalSchema<unknown> ? never : K }[keyof S];
type OptionalKeys<S extends Shape> = Exclude<keyof S, RequiredKeys<S>>;
type Simplify<T> = { [K in keyof T]: T[K] } & {};
export type ObjectOf<S extends Shape> = Simplify<
  { [K in RequiredKeys<S>]: Infer<S[K]> } & { [K in OptionalKeys<S>]?: Infer<S[K]> }
>;

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function fail(path: string, expected: string, value: unknown): never {
  throw new SchemaError(path, `expected ${expected}, got ${typeName(value)}`);
}

function join(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return /^[A-Za-z_$][\w$]*$/.test(key) ? (path ? `${path}.${key}` : key) : `${path}[${JSON.stringify(key.slice(0, 32))}]`;
}

/**
 * Checks a member with its path relative to it; a failure's path is put
 * together only when it is thrown. Building "a.b[3].c" for every value that
 * passes was most of the cost of checking a large message.
 */
function member<T>(schema: Schema<T>, value: unknown, path: string, key: string | number): T {
  try {
    return schema.check(value);
  } catch (err) {
    if (!(err instanceof SchemaError)) throw err;
    const at = join(path, key);
    throw new SchemaError(err.path === '' ? at : err.path.startsWith('[') ? `${at}${err.path}` : `${at}.${err.path}`, err.expected);
  }
}

/** Limits count UTF-16 code units (the line limit already bounds bytes). */
export function string(opts: { max: number; min?: number; pattern?: RegExp }): Schema<string> {
  const min = opts.min ?? 0;
  const describe = `string of ${min}..${opts.max} characters${opts.pattern ? ` matching ${opts.pattern.source}` : ''}`;
  return {
    describe,
    check(value, path = '') {
      if (typeof value !== 'string') fail(path, 'string', value);
      if (value.length > opts.max) throw new SchemaError(path, `string longer than ${opts.max} characters`);
      if (value.length < min) throw new SchemaError(path, `string shorter than ${min} characters`);
      if (opts.pattern && !opts.pattern.test(value)) throw new SchemaError(path, `string not matching ${opts.pattern.source}`);
      return value;
    },
  };
}

export function int(opts: { min: number; max: number }): Schema<number> {
  const describe = `integer ${opts.min}..${opts.max}`;
  return {
    describe,
    check(value, path = '') {
      if (typeof value !== 'number' || !Number.isInteger(value)) fail(path, 'integer', value);
      if (value < opts.min || value > opts.max) throw new SchemaError(path, `integer outside ${opts.min}..${opts.max}`);
      return value;
    },
  };
}

/** A finite number (durations, rates). */
export function number(opts: { min: number; max: number }): Schema<number> {
  return {
    describe: `number ${opts.min}..${opts.max}`,
    check(value, path = '') {
      if (typeof value !== 'number' || !Number.isFinite(value)) fail(path, 'finite number', value);
      if (value < opts.min || value > opts.max) throw new SchemaError(path, `number outside ${opts.min}..${opts.max}`);
      return value;
    },
  };
}

export function bool(): Schema<boolean> {
  return {
    describe: 'boolean',
    check(value, path = '') {
      if (typeof value !== 'boolean') fail(path, 'boolean', value);
      return value;
    },
  };
}

/** One of a fixed set of strings or numbers. */
export function enumOf<const V extends readonly (string | number)[]>(values: V): Schema<V[number]> {
  const describe = `one of ${values.map((v) => JSON.stringify(v)).join(', ')}`;
  return {
    describe,
    check(value, path = '') {
      if (!(values as readonly unknown[]).includes(value)) {
        if (typeof value === 'string' || typeof value === 'number') throw new SchemaError(path, `expected ${describe}`);
        fail(path, describe, value);
      }
      return value as V[number];
    },
  };
}

export function literal<const V extends string | number | boolean>(expected: V): Schema<V> {
  return {
    describe: JSON.stringify(expected),
    check(value, path = '') {
      if (value !== expected) throw new SchemaError(path, `expected ${JSON.stringify(expected)}`);
      return expected;
    },
  };
}

export function nullable<T>(inner: Schema<T>): Schema<T | null> {
  return {
    describe: `${inner.describe} or null`,
    check(value, path = '') {
      return value === null ? null : inner.check(value, path);
    },
  };
}

export function optional<T>(inner: Schema<T>): OptionalSchema<T> {
  return { describe: `optional ${inner.describe}`, optional: true, check: (value, path = '') => inner.check(value, path) };
}

export function array<T>(item: Schema<T>, opts: { max: number; min?: number }): Schema<T[]> {
  const min = opts.min ?? 0;
  return {
    describe: `array of ${min}..${opts.max} of ${item.describe}`,
    check(value, path = '') {
      if (!Array.isArray(value)) fail(path, 'array', value);
      if (value.length > opts.max) throw new SchemaError(path, `array longer than ${opts.max} items`);
      if (value.length < min) throw new SchemaError(path, `array shorter than ${min} items`);
      // A copy only when an item came back changed: a valid message is returned as it was parsed.
      let out: T[] | null = null;
      for (let i = 0; i < value.length; i++) {
        const checked = member(item, value[i], path, i);
        if (out === null && checked !== value[i]) out = value.slice(0, i) as T[];
        if (out !== null) out.push(checked);
      }
      return out ?? (value as T[]);
    },
  };
}

export function tuple<const S extends readonly Schema<unknown>[]>(items: S): Schema<{ [K in keyof S]: Infer<S[K]> }> {
  return {
    describe: `[${items.map((s) => s.describe).join(', ')}]`,
    check(value, path = '') {
      if (!Array.isArray(value)) fail(path, 'array', value);
      if (value.length !== items.length) throw new SchemaError(path, `expected exactly ${items.length} items`);
      const checked = items.map((s, i) => member(s, value[i], path, i));
      return (checked.every((v, i) => v === value[i]) ? value : checked) as { [K in keyof S]: Infer<S[K]> };
    },
  };
}

function pick(record: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of keys) if (Object.hasOwn(record, key)) out[key] = record[key];
  return out;
}

function isOptional(s: Schema<unknown>): boolean {
  return (s as Partial<OptionalSchema<unknown>>).optional === true;
}

/** An object with exactly these keys: an unknown key or a missing required key is an error. */
export function object<S extends Shape>(shape: S): Schema<ObjectOf<S>> {
  const keys = Object.keys(shape);
  return {
    describe: `object {${keys.join(', ')}}`,
    check(value, path = '') {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(path, 'object', value);
      const record = value as Record<string, unknown>;
      for (const key of Object.keys(record)) {
        if (!Object.hasOwn(shape, key)) throw new SchemaError(join(path, key), 'unknown field');
      }
      let out: Record<string, unknown> | null = null;
      for (const key of keys) {
        const field = shape[key] as Schema<unknown>;
        if (!Object.hasOwn(record, key)) {
          if (isOptional(field)) continue;
          throw new SchemaError(join(path, key), 'missing field');
        }
        const checked = member(field, record[key], path, key);
        // A copy only when a member came back changed: a valid message is returned as it was parsed.
        if (out === null && checked !== record[key]) out = pick(record, keys);
        if (out !== null) out[key] = checked;
      }
      return (out ?? record) as ObjectOf<S>;
    },
  };
}

/** A map with bounded string keys (e.g. per-port results keyed by "8472"). */
export function record<T>(key: Schema<string>, item: Schema<T>, opts: { max: number }): Schema<Record<string, T>> {
  return {
    describe: `map of up to ${opts.max} of ${item.describe}`,
    check(value, path = '') {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(path, 'object', value);
      const entries = Object.entries(value as Record<string, unknown>);
      if (entries.length > opts.max) throw new SchemaError(path, `more than ${opts.max} entries`);
      const out: Record<string, T> = {};
      let changed = false;
      for (const [k, v] of entries) {
        member(key, k, path, k);
        const checked = member(item, v, path, k);
        changed ||= checked !== v;
        // defineProperty: a key like "__proto__" must stay plain data, never a prototype.
        Object.defineProperty(out, k, { value: checked, enumerable: true, writable: true, configurable: true });
      }
      // As parsed when nothing changed; only a plain object's own data properties were read.
      return changed || Object.getPrototypeOf(value) !== Object.prototype ? out : (value as Record<string, T>);
    },
  };
}

/** An empty object: for methods without parameters or results. */
export const empty: Schema<Record<string, never>> = object({}) as Schema<Record<string, never>>;
