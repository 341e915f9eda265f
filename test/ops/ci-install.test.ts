// Issue 21 item 10: CI's install fails when npm warns EBADENGINE (a dependency that needs a
// newer Node than package.json's engines promise), and keeps npm's own failures. A fake
// `npm` first on PATH plays each case; the script is the one .ci/run calls.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { repoRoot } from '../setup/paths.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function runWithFakeNpm(stderr: string, exitCode: number) {
  const dir = mkdtempSync(join(tmpdir(), 'fake-npm-'));
  dirs.push(dir);
  writeFileSync(
    join(dir, 'npm'),
    `#!/usr/bin/env bash\necho "added 1 package"\nprintf '%s\\n' ${JSON.stringify(stderr)} >&2\nexit ${exitCode}\n`,
  );
  chmodSync(join(dir, 'npm'), 0o755);
  return spawnSync('bash', [join(repoRoot, 'scripts/ci-install.sh')], {
    env: { ...process.env, PATH: `${dir}:${process.env.PATH ?? ''}` },
    encoding: 'utf8',
  });
}

describe('scripts/ci-install.sh', () => {
  it('fails on an EBADENGINE warning, naming it, while npm itself exited 0', () => {
    const r = runWithFakeNpm(
      "npm warn EBADENGINE Unsupported engine { package: 'x@2.0.0', required: { node: '>=22' } }",
      0,
    );
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('npm warn EBADENGINE Unsupported engine');
    expect(r.stderr).toContain('npm ci warned EBADENGINE');
  });

  it('passes a clean install, and other warnings, through', () => {
    const r = runWithFakeNpm('npm warn deprecated glob@7: old', 0);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('added 1 package');
    expect(r.stderr).toContain('npm warn deprecated glob@7');
  });

  it("keeps npm's own failure and its exit status", () => {
    const r = runWithFakeNpm('npm error code EUSAGE', 3);
    expect(r.status).toBe(3);
    expect(r.stderr).toContain('npm ci failed (exit 3)');
  });

  it('is what .ci/run installs with', () => {
    expect(readFileSync(join(repoRoot, '.ci/run'), 'utf8')).toMatch(/^bash scripts\/ci-install\.sh$/m);
  });
});
