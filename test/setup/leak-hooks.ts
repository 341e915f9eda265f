// Setup file (vitest setupFiles) for every project. Registered before each test
// file's own hooks, so with vitest's default 'stack' hook order these checks run
// after the file's afterEach/afterAll cleanup, and judge what is left.
import { afterAll, afterEach, beforeEach } from 'vitest';
import { assertNoLeaks, assertNoTestLeaks, enterTest } from './leaks.ts';

beforeEach(enterTest);
afterEach(assertNoTestLeaks);
afterAll(assertNoLeaks);
