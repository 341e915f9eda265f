// Option parsers shared by commands (commander reports a refusal as a one-line error).
import { InvalidArgumentError } from 'commander';

export function positiveInteger(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < 1)
    throw new InvalidArgumentError('expected a positive whole number');
  return n;
}
