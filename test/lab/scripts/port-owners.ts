// Port owners read again and again, as an agent does (src/host/ports.ts):
// the VXLAN device's kernel socket is looked for among the processes once,
// and a process that binds the port later is still found. Prints one JSON line.
import { spawn } from 'node:child_process';
import { processScans, readPortOwners } from '../../../src/host/ports.js';
import { readLinks } from '../../../src/host/netlink.js';

const links = readLinks();
const holders = () => readPortOwners([8472, 8475], links).map((o) => `${o.port}:${o.holders.map((h) => h.kind).join('+') || '-'}`);
const first = holders();
const scansAfterFirst = processScans();
const again = holders();
const scansAgain = processScans() - scansAfterFirst;
const child = spawn(process.execPath, ['-e', "require('node:dgram').createSocket('udp4').bind(8475, () => console.log('bound'))"], { stdio: ['ignore', 'pipe', 'inherit'] });
await new Promise((r) => child.stdout.once('data', r));
const withProcess = holders();
child.kill();
await new Promise((r) => child.once('exit', r));
const afterExit = holders();
console.log(JSON.stringify({ first, again, scansAgain, withProcess, afterExit }));
