// tcpdump -w inside a namespace, started and stopped by PID.
import { spawn, type ChildProcess } from 'node:child_process';
import type { Netns } from '../../../src/lab/netns.js';

export interface Capture {
  stop(): Promise<void>;
}

export async function startCapture(ns: Netns, iface: string, file: string, filter: string[]): Promise<Capture> {
  const child: ChildProcess = spawn('ip', ['netns', 'exec', ns.name, 'tcpdump', '-i', iface, '--immediate-mode', '-U', '-n', '-w', file, ...filter], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`tcpdump did not start: ${stderr}`)), 10_000);
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (stderr.includes('listening on')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`tcpdump exited (${code}): ${stderr}`));
    });
  });
  return {
    async stop() {
      if (child.exitCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGINT');
      await exited;
    },
  };
}
