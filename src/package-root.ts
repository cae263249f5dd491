// Where this package's files are (package.json, web/, bin/, build/, prebuilds/).
// Found by walking up from this module rather than a fixed number of `..`:
// the same code runs from src/ (tsx), dist/ (tsc) and dist/cli-bundle/ (the
// bundled CLI, docs/performance.md "Start-up").
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

export function packageRoot(): string {
  if (root !== undefined) return root;
  const start = dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === 'vxprobe') return (root = dir);
      } catch {
        // Not a readable manifest: keep walking up.
      }
    }
    if (dirname(dir) === dir) break;
  }
  // Not found (a copied-out file): one level up, as src/ and dist/ are laid out.
  return (root = dirname(start));
}
