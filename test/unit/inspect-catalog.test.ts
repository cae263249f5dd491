import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FINDING_CATALOG } from '../../src/inspect/catalog.js';
import { TABLE_FAULT_KINDS } from '../../src/overlay/vtep-tables.js';

const SRC = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'inspect');

describe('finding catalog', () => {
  it('lists exactly the ids the checks can emit', () => {
    const emitted = new Set<string>();
    for (const file of readdirSync(SRC).filter((f) => f.endsWith('-checks.ts'))) {
      const text = readFileSync(join(SRC, file), 'utf8');
      // Literal ids, also both arms of `id: cond ? 'a' : 'b'`.
      for (const line of text.split('\n').filter((l) => /\bid: /.test(l))) {
        for (const m of line.slice(line.indexOf('id: ')).matchAll(/'([a-z0-9]+(?:-[a-z0-9]+)+)'/g)) emitted.add(m[1]!);
      }
      // Table faults come from the rule layer: `peer-${kind}` for each of its kinds.
      if (/id: `peer-\$\{f\.kind\}`/.test(text)) for (const k of TABLE_FAULT_KINDS) emitted.add(`peer-${k}`);
      for (const m of text.matchAll(/report\(\s*'([a-z0-9-]+)'/g)) emitted.add(m[1]!);
    }
    expect([...emitted].sort()).toEqual(Object.keys(FINDING_CATALOG).sort());
  });
});
