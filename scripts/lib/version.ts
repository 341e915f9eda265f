// The version `tierline --version` prints: package.json's, read without importing JSON
// modules (an import attribute would tie the build to one Node release's syntax).
import { readFileSync } from 'node:fs';

const packageJson = new URL('../../package.json', import.meta.url);
const distPackageJson = new URL('../../../package.json', import.meta.url);

function readVersion(): string {
  for (const file of [packageJson, distPackageJson]) {
    try {
      const parsed = JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown; version?: unknown };
      if (parsed.name === 'tierline' && typeof parsed.version === 'string') return parsed.version;
    } catch {
      // not at this path (the compiled CLI sits one folder deeper, under dist/)
    }
  }
  return 'unknown';
}

export const VERSION = readVersion();
