// Talks to an etcd that a lab test started inside a node's namespace (it
// listens on that namespace's loopback only): waits until it answers, then
// runs `script` there with `etcdPut` and `url` in scope.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { join } from 'node:path';

const ETCD_CLIENT = join(import.meta.dirname, '..', '..', '..', 'dist', 'cluster', 'etcd.js');

export function etcdScriptInNetns(netns: string, url: string, script: string): SpawnSyncReturns<string> {
  const code = `
    const { etcdPut } = await import(${JSON.stringify(ETCD_CLIENT)});
    const url = ${JSON.stringify(url)};
    const deadline = Date.now() + 30000;
    for (;;) {
      try { await etcdPut(url, 'vxp-ready', '1', 1000); break; }
      catch (err) { if (Date.now() > deadline) throw err; await new Promise((r) => setTimeout(r, 100)); }
    }
    ${script}`;
  return spawnSync('ip', ['netns', 'exec', netns, process.execPath, '--input-type=module', '-e', code], { encoding: 'utf8', timeout: 60_000 });
}

/** Writes every key/value pair, in order, once etcd answers. */
export function seedEtcdInNetns(netns: string, url: string, puts: Array<[string, string]>): SpawnSyncReturns<string> {
  return etcdScriptInNetns(netns, url, `for (const [k, v] of ${JSON.stringify(puts)}) await etcdPut(url, k, v);`);
}
