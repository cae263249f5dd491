// Who holds each UDP port: processes (through their socket fds), kernel
// VXLAN sockets (attributed to the VXLAN devices serving that port), and
// sockets nobody owns. /proc/net/udp{,6} is this network namespace's table
// while /proc/*/fd is global, so a process is reported only when its socket
// inode appears in this namespace's table.
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { basename } from 'node:path';
import { UsageError } from '../errors.js';
import type { LinkInfo, PortHolder, PortOwnership } from './types.js';

export interface UdpSocket {
  port: number;
  inode: number;
  uid: number;
  family: 4 | 6;
}

/** Parses /proc/net/udp or udp6 text ("sl local_address rem_address st ... uid timeout inode"). */
export function parseProcNetUdp(text: string, family: 4 | 6): UdpSocket[] {
  const out: UdpSocket[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    const local = f[1] ?? '';
    const portHex = local.slice(local.lastIndexOf(':') + 1);
    const port = Number.parseInt(portHex, 16);
    const uid = Number(f[7]);
    const inode = Number(f[9]);
    if (!Number.isInteger(port) || !Number.isInteger(uid) || !Number.isInteger(inode)) continue;
    out.push({ port, inode, uid, family });
  }
  return out;
}

function readUdpTable(): UdpSocket[] {
  const tables: Array<[string, 4 | 6]> = [
    ['/proc/net/udp', 4],
    ['/proc/net/udp6', 6],
  ];
  const out: UdpSocket[] = [];
  for (const [path, family] of tables) {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      continue; // no IPv6 in this kernel
    }
    out.push(...parseProcNetUdp(text, family));
  }
  return out;
}

interface ProcessInfo {
  pid: number;
  /** Executable name only (commandOf). */
  command: string;
}

/**
 * The program's name, never its arguments: arguments often carry credentials
 * (--db-password=...), and these facts go to the peer (docs/threat-model.md).
 * /proc/PID/comm (what ps and top show: the executable's name, or the name
 * the program gave itself, at most 15 characters), else the name of
 * /proc/PID/exe.
 */
export function commandOf(pid: number): string {
  try {
    const comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    if (comm) return comm;
  } catch {
    // exited, or hidden from us: try the executable's path
  }
  try {
    return basename(readlinkSync(`/proc/${pid}/exe`).replace(/ \(deleted\)$/, '')) || '?';
  } catch {
    return '?';
  }
}

/**
 * Socket inodes a scan of every process found no holder for: the kernel's
 * own sockets, such as the one a VXLAN device listens on. No process can
 * come to hold one later, so while it exists it is not looked for again; in
 * the healthy case that spares the agent a walk over every fd of every
 * process each time it reads its facts (docs/agent.md, "Budgets").
 */
const ownerless = new Set<number>();

function rememberOwnerless(present: Set<number>, owners: Map<number, ProcessInfo[]>): void {
  for (const inode of ownerless) if (!present.has(inode)) ownerless.delete(inode);
  for (const inode of present) if (!owners.get(inode)?.length) ownerless.add(inode);
}

let scans = 0;
/** How many times readPortOwners walked every process's fds (for tests). */
export function processScans(): number {
  return scans;
}

/** Maps the wanted socket inodes to the processes holding an fd on them. */
function ownersOf(inodes: Set<number>): Map<number, ProcessInfo[]> {
  const owners = new Map<number, ProcessInfo[]>();
  if (inodes.size === 0) return owners;
  scans += 1;
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid <= 0) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${entry}/fd`);
    } catch {
      continue; // exited, or not ours to read
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = readlinkSync(`/proc/${entry}/fd/${fd}`);
      } catch {
        continue;
      }
      if (!target.startsWith('socket:[')) continue;
      const inode = Number(target.slice(8, -1));
      if (!inodes.has(inode)) continue;
      const list = owners.get(inode) ?? [];
      if (!list.some((p) => p.pid === pid)) list.push({ pid, command: commandOf(pid) });
      owners.set(inode, list);
    }
  }
  return owners;
}

export function validatePorts(ports: number[]): void {
  for (const p of ports) {
    if (!Number.isInteger(p) || p < 1 || p > 65535) {
      throw new UsageError(`invalid UDP port ${p}: must be an integer from 1 to 65535`);
    }
  }
}

/**
 * Holders of each asked UDP port. `links` (from readLinks) lets kernel VXLAN
 * sockets, which no process owns, be named by their device.
 */
export function readPortOwners(ports: number[], links: LinkInfo[] = []): PortOwnership[] {
  validatePorts(ports);
  const wanted = new Set(ports);
  const sockets = readUdpTable().filter((s) => wanted.has(s.port));
  const inodes = new Set(sockets.filter((s) => s.inode !== 0).map((s) => s.inode));
  const owners = ownersOf(new Set([...inodes].filter((i) => !ownerless.has(i))));
  rememberOwnerless(inodes, owners);
  return [...wanted].map((port) => {
    const holders: PortHolder[] = [];
    const orphans: UdpSocket[] = [];
    for (const s of sockets) {
      if (s.port !== port) continue;
      const procs = s.inode === 0 ? undefined : owners.get(s.inode);
      if (procs && procs.length > 0) {
        for (const p of procs) {
          if (!holders.some((h) => h.kind === 'process' && h.pid === p.pid && h.inode === s.inode)) {
            holders.push({ kind: 'process', pid: p.pid, command: p.command, inode: s.inode });
          }
        }
      } else {
        orphans.push(s);
      }
    }
    // The kernel opens one socket per port (and family) for all VXLAN devices
    // on it, only while a device is up; such sockets have no process.
    const devices = links.filter((l) => l.vxlan && l.vxlan.port === port && l.up);
    if (orphans.length > 0 && devices.length > 0) {
      for (const d of devices) {
        holders.push({ kind: 'vxlan', device: d.name, ifindex: d.ifindex, vni: d.vxlan!.vni });
      }
    } else {
      for (const s of orphans) holders.push({ kind: 'socket', inode: s.inode, uid: s.uid });
    }
    return { port, holders };
  });
}
