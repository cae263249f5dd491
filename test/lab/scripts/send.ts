// Runs inside a network namespace: builds frames with the codec and sends
// them with the addon. argv: ifname, JSON list of
// {spec: FrameSpec (payload as hex), count?, burst?: {seqOffset, checksum?, async?}, patch?: [[offset, byte]]}.
// Prints {"sent": N, "mac": ...}.
import { buildFrame, type FrameSpec } from '../../../src/wire/frame.js';
import { PacketSocket, type BurstChecksum } from '../../../src/wire/packet-socket.js';

interface Item {
  spec: Omit<FrameSpec, 'payload'> & { payload?: string };
  count?: number;
  burst?: { seqOffset: number; checksum?: BurstChecksum; async?: boolean };
  patch?: Array<[number, number]>;
}

const [ifname = '', itemsJson = '[]'] = process.argv.slice(2);
const sock = PacketSocket.open(ifname, { capture: false });
let sent = 0;
for (const item of JSON.parse(itemsJson) as Item[]) {
  const { payload, ...rest } = item.spec;
  const frame = buildFrame({ ...rest, payload: payload ? Buffer.from(payload, 'hex') : undefined });
  for (const [off, byte] of item.patch ?? []) frame[off] = byte;
  if (item.burst) {
    sent += item.burst.async
      ? await sock.sendBurstAsync(frame, item.count ?? 1, item.burst.seqOffset, item.burst.checksum)
      : sock.sendBurst(frame, item.count ?? 1, item.burst.seqOffset, item.burst.checksum);
  } else {
    for (let i = 0; i < (item.count ?? 1); i++) sock.send(frame);
    sent += item.count ?? 1;
  }
}
sock.close();
process.stdout.write(`${JSON.stringify({ sent, mac: sock.mac })}\n`);
