// Shape of the addon's raw IPv4 socket, as native/raw_ip_socket.cc defines it.

export interface NativeRawIpSocket {
  /** IPPROTO_RAW sockets only: sends a whole IPv4 packet routed to `dst`. Throws a system error. */
  send(packet: Buffer, dst: string): void;
  /** IPPROTO_ICMP sockets only: each wake-up delivers the received packets (IPv4 header included) and their senders. */
  start(onBatch: (err: (Error & { code?: string }) | null, packets: Buffer[], sources: string[]) => void): void;
  /** Idempotent. */
  close(): void;
}

export interface RawIpBinding {
  RawIpSocket: new (protocol: 1 | 255) => NativeRawIpSocket;
}
