// Loaded into every node process of `npm run test:asan` (NODE_OPTIONS=--require).
// The ASan runtime has to be preloaded into node, which loads the sanitizer
// build of the addon, but not into the other programs the tests run (ip,
// tshark, nft ...): their own harmless quirks (iproute2's overlapping
// strncpy) would abort them and be reported as ours. So this removes
// LD_PRELOAD from this process's environment and gives it back only to
// children that are node processes (docs/native-hardening.md).
'use strict';
const childProcess = require('node:child_process');
const { syncBuiltinESMExports } = require('node:module');
const { basename } = require('node:path');

const runtime = process.env.VXPROBE_ASAN_RUNTIME;
delete process.env.LD_PRELOAD;

const NODE_NAMES = new Set(['node', 'nodejs', 'tsx', 'vxprobe', 'vitest']);
const isNodeWord = (s) => typeof s === 'string' && (s === process.execPath || NODE_NAMES.has(basename(s)));
// A wrapper such as `ip netns exec NS node ...` or `setpriv ... tsx ...` passes
// the environment on to the node it starts.
const startsNode = (file, args) =>
  isNodeWord(file) || (Array.isArray(args) && args.some(isNodeWord));
const shellStartsNode = (command) => /(^|[\s/])(node|tsx|vxprobe|vitest)(\s|$)/.test(String(command));

function withEnv(options, node) {
  const env = { ...((options && options.env) || process.env) };
  if (node && runtime) env.LD_PRELOAD = runtime;
  else delete env.LD_PRELOAD;
  return { ...(options || {}), env };
}

// (file, args?, options?, callback?) as spawn/execFile/fork take them.
function patchFileForm(name, alwaysNode) {
  const original = childProcess[name];
  childProcess[name] = function patched(file, ...rest) {
    const args = Array.isArray(rest[0]) ? rest.shift() : undefined;
    const opts = rest[0] !== null && typeof rest[0] === 'object' ? rest[0] : undefined;
    const node =
      alwaysNode ||
      startsNode(file, args) ||
      Boolean(opts && opts.shell && shellStartsNode([file, ...(args || [])].join(' ')));
    if (rest.length > 0 && rest[0] !== null && typeof rest[0] === 'object') {
      rest[0] = withEnv(rest[0], node);
    } else {
      rest.unshift(withEnv(undefined, node));
    }
    return args === undefined ? original.call(this, file, ...rest) : original.call(this, file, args, ...rest);
  };
}

// (command, options?, callback?) as exec/execSync take them.
function patchShellForm(name) {
  const original = childProcess[name];
  childProcess[name] = function patched(command, ...rest) {
    const node = shellStartsNode(command);
    if (rest.length > 0 && rest[0] !== null && typeof rest[0] === 'object') {
      rest[0] = withEnv(rest[0], node);
    } else {
      rest.unshift(withEnv(undefined, node));
    }
    return original.call(this, command, ...rest);
  };
}

for (const name of ['spawn', 'spawnSync', 'execFile', 'execFileSync']) patchFileForm(name, false);
patchFileForm('fork', true);
for (const name of ['exec', 'execSync']) patchShellForm(name);
syncBuiltinESMExports();
