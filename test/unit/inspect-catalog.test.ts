import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FINDING_CATALOG } from '../../src/inspect/catalog.js';

const SRC = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'inspect');

describe('finding catalog', () => {
  it('lists exactly the ids the checks can emit', () => {
    const emitted = new Set<string>();
    for (const file of readdirSync(SRC).filter((f) => f.endsWith('-checks.ts'))) {
      const text = readFileSync(join(SRC, file), 'utf8');
      for (const m of text.matchAll(/id: '([a-z0-9-]+)'/g)) emitted.add(m[1]!);
      for (const m of text.matchAll(/report\(\s*'([a-z0-9-]+)'/g)) emitted.add(m[1]!);
    }
    expect([...emitted].sort()).toEqual(Object.keys(FINDING_CATALOG).sort());
  });
});
