// Writing and reading run record files (`pair --record FILE`, `explain FILE`).
// A record file comes from someone else's machine (attached to a bug report),
// so reading it is treated like a hostile peer's message: bounded size, a
// regular file only, strict schemas for every field, and one line naming what
// is wrong (docs/record-replay.md).
import { closeSync, constants, fstatSync, openSync, readSync, renameSync, unlinkSync, writeFileSync, accessSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { CannotRunError, UsageError } from '../errors.js';
// The schema module alone: control/index.js would load the whole channel.
import * as s from '../pair/control/schema.js';
import { SchemaError } from '../pair/control/schema.js';
import { hostFactsSchema, icmpSighting, probeSpec, sighting } from '../pair/messages.js';
import type { LossDecision, RunRecord } from '../diagnose/types.js';
import { kernelDropCaptureSchema } from '../pair/kernel-drop-schema.js';
import { RUN_FORMAT, RUN_FORMAT_VERSION, type RunOptions, type SavedRun } from './saved-run.js';

/** Far above any real run (a few hundred probes, a few thousand sightings, two hosts' facts). */
export const MAX_RECORD_BYTES = 64 * 1024 * 1024;
const MAX_SIGHTINGS = 1 << 16;

const ip = s.string({ max: 45, pattern: /^[0-9a-fA-F.:]+$/ });
const port = s.int({ min: 1, max: 65535 });
const text = s.string({ max: 512 });

const optionsSchema: s.Schema<RunOptions> = s.object({
  peer: s.string({ max: 253, min: 1 }),
  iface: s.nullable(s.string({ max: 64 })),
  ports: s.array(port, { min: 1, max: 8 }),
  baselinePort: port,
  vni: s.nullable(s.int({ min: 0, max: 0xffffff })),
  timeoutMs: s.int({ min: 0, max: 3_600_000 }),
  controlPort: port,
  controlHost: s.nullable(s.string({ max: 253 })),
  name: s.nullable(s.string({ max: 64 })),
});

const ms = s.number({ min: 0, max: 3_600_000 });
/** How a missing probe was called lost (src/pair/probe-rounds.ts): evidence that explain replays. */
const lossDecision: s.Schema<LossDecision> = s.object({
  probeId: s.int({ min: 0, max: 0xffffffff }),
  deadlineMs: ms,
  tries: s.int({ min: 0, max: 64 }),
  rttMs: s.nullable(ms),
  spreadMs: s.nullable(ms),
});

const recordSchema: s.Schema<RunRecord> = s.object({
  plan: s.object({
    runId: s.int({ min: 0, max: 0xffffffff }),
    ports: s.array(port, { min: 1, max: 8 }),
    baselinePort: port,
    probes: s.array(probeSpec, { max: 256 }),
  }),
  local: hostFactsSchema,
  peer: hostFactsSchema,
  localIp: ip,
  peerIp: ip,
  sightings: s.array(sighting, { max: MAX_SIGHTINGS }),
  icmp: s.array(icmpSighting, { max: MAX_SIGHTINGS }),
  notSent: s.array(s.object({ probeId: s.int({ min: 0, max: 0xffffffff }), reason: text }), { max: 256 }),
  kernelDrops: s.optional(s.object({ local: s.nullable(kernelDropCaptureSchema), peer: s.nullable(kernelDropCaptureSchema) })),
  captureDrops: s.optional(s.object({ local: s.int({ min: 0, max: Number.MAX_SAFE_INTEGER }), peer: s.int({ min: 0, max: Number.MAX_SAFE_INTEGER }) })),
  losses: s.optional(s.array(lossDecision, { max: 256 })),
});

const savedRunSchema: s.Schema<SavedRun> = s.object({
  format: s.literal(RUN_FORMAT),
  formatVersion: s.literal(RUN_FORMAT_VERSION),
  vxprobeVersion: s.string({ max: 64 }),
  options: optionsSchema,
  timing: s.object({
    startedAt: s.string({ max: 40, pattern: /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/ }),
    durationMs: s.int({ min: 0, max: 86_400_000 }),
  }),
  record: recordSchema,
});

export { vxprobeVersion } from '../version.js';

/** Checks a parsed document and names the first thing wrong with it, in one line. */
export function parseSavedRun(doc: unknown, what = 'record'): SavedRun {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new UsageError(`${what}: not a vxprobe run record (expected a JSON object)`);
  const d = doc as Record<string, unknown>;
  if (d.format !== RUN_FORMAT) {
    if ('results' in d && 'nodes' in d) throw new UsageError(`${what}: this is a \`pair --json\` report, not a run record; record one with \`vxprobe pair ... --record FILE\``);
    throw new UsageError(`${what}: not a vxprobe run record (no "format": "${RUN_FORMAT}")`);
  }
  const v = d.formatVersion;
  if (v !== RUN_FORMAT_VERSION) {
    if (typeof v === 'number' && Number.isInteger(v) && v > RUN_FORMAT_VERSION) {
      throw new UsageError(`${what}: record format version ${v} is newer than this vxprobe reads (${RUN_FORMAT_VERSION}); explain it with a newer vxprobe`);
    }
    if (typeof v === 'number' && Number.isInteger(v) && v >= 0) {
      throw new UsageError(`${what}: record format version ${v} is no longer read (this vxprobe reads version ${RUN_FORMAT_VERSION}); record the run again`);
    }
    throw new UsageError(`${what}: record has no valid formatVersion`);
  }
  try {
    return savedRunSchema.check(doc);
  } catch (err) {
    if (err instanceof SchemaError) throw new UsageError(`${what}: malformed run record: ${err.message}`);
    throw err;
  }
}

/** Reads and checks a record file; every failure is one UsageError line. */
export function readRunFile(path: string): SavedRun {
  const name = basename(path);
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO must not hang waiting for a writer.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read record ${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (code ?? 'error')}`);
  }
  let raw: Buffer;
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new UsageError(`record ${path}: not a regular file`);
    if (st.size > MAX_RECORD_BYTES) throw new UsageError(`record ${path}: ${st.size} bytes is more than a run record can be (${MAX_RECORD_BYTES})`);
    // Read at most the limit, whatever the file grows to while we read.
    raw = Buffer.alloc(st.size + 1);
    let got = 0;
    for (let n = 1; n > 0 && got < raw.length; got += n) n = readSync(fd, raw, got, raw.length - got, null);
    if (got > st.size) throw new UsageError(`record ${path}: the file changed while it was read`);
    raw = raw.subarray(0, got);
  } finally {
    closeSync(fd);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(raw.toString('utf8'));
  } catch (err) {
    throw new UsageError(`record ${name}: not valid JSON (${(err as Error).message.split('\n')[0]!.slice(0, 120)})`);
  }
  return parseSavedRun(doc, `record ${name}`);
}

/** Fails early (before any probe is sent) when the record could not be written. */
export function checkRecordPath(path: string): void {
  const dir = dirname(resolve(path));
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    throw new UsageError(`--record ${path}: cannot write in ${dir}`);
  }
}

/**
 * Writes the record next to its final name and renames it into place, so a
 * reader never sees half a file. Mode 0600: it holds the host's tables.
 */
export function writeRunFile(path: string, run: SavedRun): void {
  // The schema that `explain` applies: never write a record it would refuse.
  try {
    parseSavedRun(JSON.parse(JSON.stringify(run)), 'recorded run');
  } catch (err) {
    throw new CannotRunError(`cannot record this run to ${path}: ${(err as Error).message}`);
  }
  const tmp = `${resolve(path)}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, JSON.stringify(run) + '\n', { mode: 0o600, flag: 'wx' });
    renameSync(tmp, path);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      // Nothing was written.
    }
    throw err;
  }
}
