#!/usr/bin/env node
// Runs the compiled CLI (dist/, written by `npm run build`) when it is up to date with the
// sources, else the TypeScript through tsx, so `npx tierline` works from a clean clone
// without a build step and a dev tree never runs stale output. TIERLINE_FROM_SOURCE=1
// forces the TypeScript.
import { fileURLToPath } from 'node:url';
import { distIsCurrent } from './dist-freshness.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const fromSource = ['1', 'true'].includes(process.env.TIERLINE_FROM_SOURCE?.trim() ?? '');

if (!fromSource && distIsCurrent(root)) {
  await import('../dist/scripts/cli.js');
} else {
  let tsx;
  try {
    tsx = await import('tsx/esm/api');
  } catch {
    process.stderr.write(
      'tierline: neither an up-to-date build (dist/) nor tsx to run the sources: run `npm ci` (and `npm run build`)\n',
    );
    process.exit(1);
  }
  tsx.register();
  await import('../scripts/cli.ts');
}
