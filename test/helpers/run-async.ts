// spawnSync's shape without blocking the test worker: a vitest worker whose
// event loop is stuck in spawnSync for minutes (an image or rootfs build)
// misses its RPC deadline and fails the whole run with "Timeout calling
// onTaskUpdate", though every test passed.
import { spawn, type SpawnOptions } from 'node:child_process';

export interface AsyncResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function runAsync(cmd: string, args: string[], opts: SpawnOptions & { timeout?: number } = {}): Promise<AsyncResult> {
  return new Promise((resolve, reject) => {
    const { timeout, ...spawnOpts } = opts;
    const child = spawn(cmd, args, { ...spawnOpts, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    // Ends only the child this call started, by its pid.
    const timer = timeout ? setTimeout(() => child.kill('SIGTERM'), timeout) : null;
    child.on('error', (err) => {
      if (timer) clearTimeout(timer);
      reject(err);
    });
    child.on('close', (status) => {
      if (timer) clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}
