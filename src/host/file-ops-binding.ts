// The addon's whole-file operations on the libuv pool (native/file_ops.cc):
// each call opens, writes or reads, and closes on one pool thread, so no
// file stays open while the JS thread is busy (src/host/trace-instance.ts).
export interface FileOpsBinding {
  /** Writes each value to its (existing) file, in order; rejects with the first failure (code, syscall). */
  writeFilesAsync(items: [path: string, value: string][]): Promise<void>;
  /** At most maxBytes of the file. */
  readFileAsync(path: string, maxBytes: number): Promise<Buffer>;
  /** setsockopt(TCP_MAXSEG) on a TCP socket's descriptor (native/tcp_mss.cc); throws with the errno's code. */
  setTcpMaxSeg(fd: number, mss: number): void;
}
