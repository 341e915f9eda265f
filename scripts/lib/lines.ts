// Streams a file as raw lines of bytes, so the caller sees invalid UTF-8 and exact byte
// lengths (readline would silently repair the first and hide the second).
import { createReadStream } from 'node:fs';

export async function* readLines(path: string): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  const stream = createReadStream(path, { highWaterMark: 1 << 20 });
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    let from = 0;
    for (let nl = chunk.indexOf(0x0a, from); nl !== -1; nl = chunk.indexOf(0x0a, from)) {
      pending.push(chunk.subarray(from, nl));
      yield stripCr(pending.length === 1 ? (pending[0] as Buffer) : Buffer.concat(pending));
      pending = [];
      from = nl + 1;
    }
    if (from < chunk.length) pending.push(chunk.subarray(from));
  }
  if (pending.length > 0) yield stripCr(Buffer.concat(pending));
}

function stripCr(line: Buffer): Buffer {
  return line.length > 0 && line[line.length - 1] === 0x0d ? line.subarray(0, -1) : line;
}
