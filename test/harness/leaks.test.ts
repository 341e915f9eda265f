// The leak registry itself: a test that leaves a resource open fails, and the
// resource is closed anyway so the run does not hang.
import { describe, expect, it } from 'vitest';
import { assertNoTestLeaks, enterTest, openResources, track } from '../setup/leaks.ts';

describe('leak registry', () => {
  it('fails a test that left a resource open, and closes it', async () => {
    let closed = false;
    track({ kind: 'fake', label: 'conn-1', close: async () => void (closed = true) });
    expect(openResources()).toContain('fake conn-1');
    await expect(assertNoTestLeaks()).rejects.toThrow('left open by this test: fake conn-1');
    expect(closed).toBe(true);
    expect(openResources()).not.toContain('fake conn-1');
    enterTest(); // assertNoTestLeaks ended the test's scope; the real afterEach check follows.
  });

  it('passes once the resource is released', async () => {
    const release = track({ kind: 'fake', label: 'conn-2', close: async () => {} });
    release();
    await expect(assertNoTestLeaks()).resolves.toBeUndefined();
    enterTest();
  });
});
