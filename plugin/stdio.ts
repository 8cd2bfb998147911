// Standard output and error written with fs.writeSync on their file descriptors, as kubectl (Go) writes them.
// Node builds process.stdout and process.stderr on first use, and building one loads node's stream modules
// (for a pipe or a terminal, net and tty too): about 5 ms of a 35 ms analyze run. A terminal still gets the
// stream (it knows the window's width); so does a descriptor that refuses a write for now (EAGAIN: a
// non-blocking pipe that is full), for the rest of the run, so that nothing is lost or reordered.
import { fstatSync, statSync, writeSync } from 'node:fs';

export type StdFd = 1 | 2;

/** The stream node would give us for fd (created on first call). */
export const streamOf = (fd: StdFd): NodeJS.WriteStream => (fd === 1 ? process.stdout : process.stderr);

/**
 * Whether fd is a terminal. A file, pipe or socket is not one, and neither is /dev/null (a character device
 * like a terminal): those are told apart by fstat alone, so node:tty (which loads net) is needed only for
 * other character devices.
 */
export function isTerminal(fd: number): boolean {
  try {
    const st = fstatSync(fd);
    if (!st.isCharacterDevice() || st.rdev === statSync('/dev/null').rdev) return false;
  } catch {
    return false;
  }
  // Loaded here and only here: node:tty loads net.
  return process.getBuiltinModule('node:tty').isatty(fd);
}

/** What a writer of fd needs; stream and write are node's unless a test gives its own. */
export interface StdWriterOptions {
  /** isTerminal(fd). */
  terminal: boolean;
  /** Called when the reader has gone (EPIPE: node ignores SIGPIPE). */
  onClosed: () => void;
  stream?: () => NodeJS.WritableStream;
  write?: (fd: number, bytes: Uint8Array, offset: number) => number;
}

/** A writer of fd: main.ts drops the writes after onClosed and exits as a writer killed by SIGPIPE would. */
export function stdWriter(fd: StdFd, { terminal, onClosed, stream: streamFor = () => streamOf(fd), write = writeSync }: StdWriterOptions): (text: string) => void {
  let stream: NodeJS.WritableStream | undefined;
  const toStream = (): NodeJS.WritableStream => {
    stream = streamFor();
    // A write's EPIPE is reported on a later tick, maybe after the command's end.
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err;
      onClosed();
    });
    return stream;
  };
  if (terminal) toStream();
  return (text) => {
    if (stream) {
      stream.write(text);
      return;
    }
    const bytes = Buffer.from(text, 'utf8');
    let done = 0;
    try {
      while (done < bytes.length) done += write(fd, bytes, done);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EPIPE') onClosed();
      else if (code === 'EAGAIN') toStream().write(bytes.subarray(done));
      else throw err;
    }
  };
}
