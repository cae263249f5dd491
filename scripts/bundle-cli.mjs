// Bundles the CLI (dist/cli.js and everything it imports, commander included)
// into dist/cli-bundle/, one chunk per lazily loaded command, so `vxprobe
// pair` loads a few files instead of ~50 modules: Node 20's ES module loader
// costs about 35 ms more for the pair path unbundled (docs/performance.md,
// "Start-up"). bin/vxprobe prefers the bundle and falls back to dist/cli.js.
// Runs after tsc (npm run build:ts). The library entry (dist/index.js) is
// not bundled: embedders import modules as they are.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist', 'cli-bundle');
rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: [join(root, 'dist', 'cli.js')],
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Loaded at run time from the package (the addon finder and the metrics
  // library keep their own files and optional dependencies).
  external: ['node-gyp-build', 'prom-client'],
  // commander is CommonJS and requires Node's built-ins: give every chunk a real `require`.
  banner: { js: "import { createRequire as __vxprobeRequire } from 'node:module'; const require = __vxprobeRequire(import.meta.url);" },
  logLevel: 'warning',
});
