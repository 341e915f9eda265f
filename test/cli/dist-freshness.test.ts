// bin/tierline.js runs dist/ only while it is current: these cases build a small tree with a
// source folder, a compiled CLI and a stamp, and touch files around it.
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain JavaScript module of the bin, without type declarations
import { distIsCurrent, newestSourceMtime, STAMP } from '../../bin/dist-freshness.js';

const T0 = new Date('2026-12-01T00:00:00Z');
const later = (s: number): Date => new Date(T0.getTime() + s * 1000);

let root: string;

function write(path: string, text: string, at: Date = T0): void {
  const full = join(root, path);
  mkdirSync(join(full, '..'), { recursive: true });
  writeFileSync(full, text);
  utimesSync(full, at, at);
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'tierline-dist-'));
  write('tsconfig.json', '{}');
  write('tsconfig.build.json', JSON.stringify({ include: ['scripts', 'domain'] }));
  write('scripts/cli.ts', '// cli');
  write('domain/rule.ts', '// rule');
  for (const dir of ['scripts', 'domain']) utimesSync(join(root, dir), T0, T0);
  write('dist/scripts/cli.js', '// compiled');
  const stamp = (newestSourceMtime as (root: string) => number)(root);
  write(STAMP as string, `${stamp}\n`);
});

afterEach(() => rmSync(root, { recursive: true, force: true }));

const current = (): boolean => (distIsCurrent as (root: string) => boolean)(root);

describe('dist/ runs only while no source is newer than its build', () => {
  it('is current right after a build', () => {
    expect(current()).toBe(true);
  });

  it('is stale once a source file is edited', () => {
    write('domain/rule.ts', '// rule, edited', later(5));
    expect(current()).toBe(false);
  });

  it('is stale once a source file is added or removed (its folder changes)', () => {
    utimesSync(join(root, 'domain'), later(5), later(5));
    expect(current()).toBe(false);
  });

  it('is stale once the build configuration changes', () => {
    utimesSync(join(root, 'tsconfig.json'), later(5), later(5));
    expect(current()).toBe(false);
  });

  it('is not trusted without the stamp of `npm run build`', () => {
    rmSync(join(root, STAMP as string));
    expect(current()).toBe(false);
  });

  it('is not used when there is no compiled CLI', () => {
    rmSync(join(root, 'dist'), { recursive: true });
    expect(current()).toBe(false);
  });

  it('is all there is without sources (the production image)', () => {
    rmSync(join(root, 'scripts'), { recursive: true });
    expect(current()).toBe(true);
  });
});
