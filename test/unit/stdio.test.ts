// plugin/stdio.ts: standard output and error written on their descriptors, and handed to node's stream when the
// descriptor refuses a write for now. Real pipes (a reader that stops early) are in executable.test.ts.
import { expect } from 'chai';
import { closeSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { isTerminal, stdWriter } from '../../plugin/stdio.js';
import { tempDir } from '../support/temp.js';

const errno = (code: string): NodeJS.ErrnoException => Object.assign(new Error(code), { code });

/** A stream that keeps what it is given. */
function keeper(): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({ write(chunk: Buffer, _enc, done) { chunks.push(Buffer.from(chunk)); done(); } });
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

describe('stdio', () => {
  it('writes every byte of a text the descriptor takes in parts, and needs no stream', () => {
    const written: Buffer[] = [];
    const write = stdWriter(1, {
      terminal: false,
      onClosed: () => expect.fail('not closed'),
      stream: () => expect.fail('no stream wanted'),
      write: (_fd, bytes, offset) => {
        const part = Buffer.from(bytes.subarray(offset, offset + 3));
        written.push(part);
        return part.length;
      },
    });
    write('ünïcode\n');
    write('two');
    expect(Buffer.concat(written).toString('utf8')).to.equal('ünïcode\ntwo');
  });

  it('hands the rest to the stream at EAGAIN, and every later write too, in order', async () => {
    const { stream, text } = keeper();
    let calls = 0;
    const direct: Buffer[] = [];
    const write = stdWriter(2, {
      terminal: false,
      onClosed: () => expect.fail('not closed'),
      stream: () => stream,
      write: (_fd, bytes, offset) => {
        calls++;
        if (calls === 2) throw errno('EAGAIN');
        if (calls > 2) expect.fail('the descriptor is not written after EAGAIN');
        const part = Buffer.from(bytes.subarray(offset, offset + 4));
        direct.push(part);
        return part.length;
      },
    });
    write('abcdefgh');
    write('-then this');
    await new Promise((resolve) => stream.end(resolve));
    expect(Buffer.concat(direct).toString() + text()).to.equal('abcdefgh-then this');
    expect(text()).to.equal('efgh-then this');
  });

  it('reports a reader that has gone (EPIPE) instead of throwing, and throws other errors', () => {
    let closed = 0;
    const gone = stdWriter(1, { terminal: false, onClosed: () => closed++, write: () => { throw errno('EPIPE'); } });
    gone('lost');
    expect(closed).to.equal(1);
    const broken = stdWriter(1, { terminal: false, onClosed: () => closed++, write: () => { throw errno('EIO'); } });
    expect(() => broken('x')).to.throw('EIO');
  });

  it('writes a terminal through the stream from the start', async () => {
    const { stream, text } = keeper();
    const write = stdWriter(1, { terminal: true, onClosed: () => undefined, stream: () => stream, write: () => expect.fail('not direct') });
    write('on the terminal\n');
    await new Promise((resolve) => stream.end(resolve));
    expect(text()).to.equal('on the terminal\n');
  });

  it('tells neither a file nor /dev/null for a terminal', () => {
    const file = join(tempDir('stdio'), 'out');
    writeFileSync(file, '');
    for (const path of [file, '/dev/null']) {
      const fd = openSync(path, 'w');
      try {
        expect(isTerminal(fd), path).to.equal(false);
      } finally {
        closeSync(fd);
      }
    }
  });
});
