// An events file checked before anything else is touched: it exists, is a regular file we can
// read, and looks like JSON Lines (one JSON object per line, docs/events.md). A CSV or a
// JSON array would otherwise be dead-lettered line by line, after the queues were involved.
import { open } from 'node:fs/promises';
import { Refusal } from '../errors.ts';

/** Bytes read from the start of the file to judge whether it is JSON Lines. */
const SNIFF_BYTES = 256 * 1024;
/** Complete lines looked at: if none of them is a JSON object, the file is not JSON Lines. */
const SNIFF_LINES = 20;

const describe = (error: unknown): string => {
  const e = error as NodeJS.ErrnoException;
  return e.code && !e.message.includes(e.code) ? `${e.message} (${e.code})` : e.message;
};

const isJsonObject = (text: string): boolean => {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value);
  } catch {
    return false;
  }
};

/** Refuses a file that cannot be read or is plainly not JSON Lines; an empty file passes. */
export async function checkEventsFile(path: string): Promise<void> {
  let head: Buffer;
  let whole: boolean;
  try {
    const handle = await open(path, 'r');
    try {
      const stat = await handle.stat();
      if (stat.isDirectory()) throw new Refusal(`cannot read events file ${path}: it is a directory`);
      if (!stat.isFile()) throw new Refusal(`cannot read events file ${path}: not a regular file`);
      const buffer = Buffer.alloc(SNIFF_BYTES);
      const { bytesRead } = await handle.read(buffer, 0, SNIFF_BYTES, 0);
      head = buffer.subarray(0, bytesRead);
      whole = bytesRead < SNIFF_BYTES;
    } finally {
      await handle.close();
    }
  } catch (error) {
    if (error instanceof Refusal) throw error;
    throw new Refusal(`cannot read events file ${path}: ${describe(error)}`, { cause: error });
  }
  const lines = head.toString('utf8').split('\n');
  if (!whole) lines.pop(); // cut short: judge complete lines only
  const looked = lines
    .map((text, i) => ({ text: text.trim(), number: i + 1 }))
    .filter((l) => l.text !== '')
    .slice(0, SNIFF_LINES);
  const first = looked[0];
  if (!first || isJsonObject(first.text) || looked.some((l) => isJsonObject(l.text))) return;
  throw new Refusal(
    `${path} does not look like JSON Lines (line ${first.number} is not a JSON object): one event per line, see docs/events.md`,
  );
}
