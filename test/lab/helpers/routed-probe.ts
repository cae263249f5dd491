// Runs inside a network namespace (`ip netns exec NS tsx routed-probe.ts JSON`):
// opens the ICMP listener, sends the given IPv4 packets through the routed
// path, and prints what came back as one JSON document on stdout.
// JSON: { packets: hex[], waitMs: number, stopAfter?: number }
import { IcmpListener, RoutedSender, type IcmpEchoReply, type IcmpErrorQuote } from '../../../src/wire/routed.js';

interface Request {
  packets: string[];
  waitMs: number;
  stopAfter?: number;
}

const req = JSON.parse(process.argv[2] ?? '{}') as Request;
const quotes: IcmpErrorQuote[] = [];
const replies: IcmpEchoReply[] = [];
const sendErrors: string[] = [];

const listener = IcmpListener.open();
const sender = RoutedSender.open();
let done: () => void = () => undefined;
const finished = new Promise<void>((resolve) => {
  done = resolve;
});
const check = () => {
  if (req.stopAfter !== undefined && quotes.length + replies.length >= req.stopAfter) done();
};
listener.on('error-quote', (e) => {
  quotes.push(e);
  check();
});
listener.on('echo-reply', (e) => {
  replies.push(e);
  check();
});

for (const hex of req.packets) {
  await sender.send(Buffer.from(hex, 'hex')).catch((err: Error) => sendErrors.push(err.message));
}
const timer = setTimeout(done, req.waitMs);
await finished;
clearTimeout(timer);
sender.close();
listener.close();
sender.close(); // idempotent
process.stdout.write(JSON.stringify({ quotes, replies, sendErrors }));
