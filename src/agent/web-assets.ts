// The matrix page's files: plain HTML/CSS/ES modules in the package's
// web/agent/ directory, no build step. Found under the package root (from
// src/, dist/ or the bundled CLI alike: src/package-root.ts). Read once at
// startup into memory, so
// a request never touches the disk and no request path can name a file.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../package-root.js';

export interface WebAsset {
  contentType: string;
  body: Buffer;
}

const FILES: [string, string, string][] = [
  ['/', 'index.html', 'text/html; charset=utf-8'],
  ['/app.js', 'app.js', 'text/javascript; charset=utf-8'],
  ['/matrix.js', 'matrix.js', 'text/javascript; charset=utf-8'],
  ['/style.css', 'style.css', 'text/css; charset=utf-8'],
];

export function webDir(): string {
  return join(packageRoot(), 'web', 'agent');
}

let cache: Map<string, WebAsset> | null = null;

export function webAssets(): Map<string, WebAsset> {
  if (cache) return cache;
  const dir = webDir();
  const out = new Map<string, WebAsset>();
  for (const [path, file, contentType] of FILES) {
    try {
      out.set(path, { contentType, body: readFileSync(join(dir, file)) });
    } catch {
      // A package without the page still serves the API; `/` says why.
      if (path === '/') out.set('/', { contentType: 'text/plain; charset=utf-8', body: Buffer.from(`matrix page not installed (${dir} missing); the API is at /api/v1/results\n`) });
    }
  }
  cache = out;
  return out;
}
