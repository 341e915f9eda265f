// Every environment variable the code reads is in the one schema (config/env.ts), so README's
// table (generated from it) is complete and a bad value is caught at start-up. A read is
// process.env.X, env.X, env['X'], readVariable('X') or commander's .env('X').
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENV_NAMES } from '../../config/env.ts';

const root = resolve(import.meta.dirname, '../..');

/** Read, never configured by Tierline: the system's own variables. */
const SYSTEM = new Set(['PATH']);

const PATTERNS = [
  /\benv\.([A-Z][A-Z0-9_]+)/g,
  /\benv\[\s*['"`]([A-Z][A-Z0-9_]+)['"`]\s*\]/g,
  /\breadVariable\(\s*['"]([A-Z][A-Z0-9_]+)['"]/g,
  /\.env\(\s*['"]([A-Z][A-Z0-9_]+)['"]\s*\)/g,
];

function sourceFiles(dir: string): string[] {
  return readdirSync(join(root, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(root, path)).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

function variablesRead(text: string): string[] {
  return PATTERNS.flatMap((pattern) => [...text.matchAll(pattern)].map((m) => m[1] as string));
}

describe('environment variables', () => {
  it('every one the code reads in config/, db/, email/, lib/, queues/, scripts/, tools/ and workers/ is in the schema', () => {
    const known = new Set<string>(ENV_NAMES);
    const unknown: string[] = [];
    let reads = 0;
    for (const file of ['config', 'db', 'email', 'lib', 'queues', 'scripts', 'tools', 'workers'].flatMap(sourceFiles)) {
      for (const name of variablesRead(readFileSync(join(root, file), 'utf8'))) {
        reads++;
        // Assignments (the demo moving TIERLINE_TODAY) are reads for this purpose too.
        if (!known.has(name) && !SYSTEM.has(name)) unknown.push(`${file}: ${name}`);
      }
    }
    expect(reads).toBeGreaterThan(20);
    expect(unknown, 'add these to config/env.ts (then `npm run docs:config`)').toEqual([]);
  });

  it('the scan finds every kind of read', () => {
    expect(
      variablesRead("process.env.A_B; env['C_D']; readVariable('E_F', env); new Option('--x').env('G_H'); env.lower"),
    ).toEqual(['A_B', 'C_D', 'E_F', 'G_H']);
  });
});
