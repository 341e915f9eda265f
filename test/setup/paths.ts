import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root: the working directory of every `bin/tierline.js` a test starts. */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
