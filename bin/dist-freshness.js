// Whether dist/ (`npm run build`) may run in place of the TypeScript. The build writes the
// newest modification time of the sources it compiled (taken before compiling) to
// dist/.source-mtime; here the sources are looked at again, and dist/ runs only when none
// is newer. Folders count too: deleting or adding a file changes its folder's time. Without
// sources (the production image) dist/ is all there is. About a hundred stats, ~1 ms.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const STAMP = join('dist', '.source-mtime');
const BUILD_CONFIG = 'tsconfig.build.json';

/** The newest mtime (ms) of the folders the build compiles, their contents and the tsconfig files. */
export function newestSourceMtime(root) {
  const { include } = JSON.parse(readFileSync(join(root, BUILD_CONFIG), 'utf8'));
  let newest = Math.max(statSync(join(root, BUILD_CONFIG)).mtimeMs, statSync(join(root, 'tsconfig.json')).mtimeMs);
  const visit = (dir) => {
    newest = Math.max(newest, statSync(dir).mtimeMs);
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) visit(path);
      else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
    }
  };
  for (const folder of include) if (existsSync(join(root, folder))) visit(join(root, folder));
  return newest;
}

/** dist/scripts/cli.js exists and no source is newer than what it was compiled from. */
export function distIsCurrent(root) {
  if (!existsSync(join(root, 'dist', 'scripts', 'cli.js'))) return false;
  if (!existsSync(join(root, 'scripts', 'cli.ts'))) return true;
  let stamp;
  try {
    stamp = Number(readFileSync(join(root, STAMP), 'utf8'));
  } catch {
    return false; // compiled by hand, not by `npm run build`: its age is unknown
  }
  return Number.isFinite(stamp) && newestSourceMtime(root) <= stamp;
}
