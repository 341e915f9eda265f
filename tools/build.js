// `npm run build`: compiles the production folders (tsconfig.build.json) to dist/ with tsc and
// stamps the result with the newest source time it was compiled from (bin/dist-freshness.js),
// taken before compiling, so an edit made during the build still counts as newer.
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { newestSourceMtime, STAMP } from '../bin/dist-freshness.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const stamp = newestSourceMtime(root);
rmSync(join(root, 'dist'), { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const run = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
if (run.status !== 0) process.exit(run.status ?? 1);
writeFileSync(join(root, STAMP), `${stamp}\n`);
