// The stored program, re-read at most every few seconds so a `program load` reaches running
// workers without a restart.
import type { Kysely } from 'kysely';
import type { ProgramSet } from '../domain/program/load.ts';
import { loadProgramSet } from '../services/programs.ts';
import type { DB } from '../db/types.ts';

export class NoProgramError extends Error {
  override name = 'NoProgramError';
  constructor() {
    super('no program is loaded: run `tierline program load FILE` first');
  }
}

export class ProgramCache {
  private value: ProgramSet | undefined;
  private loadedAt = -Infinity;

  constructor(
    private readonly db: Kysely<DB>,
    private readonly ttlMs = 5_000,
  ) {}

  async get(): Promise<ProgramSet> {
    if (!this.value || performance.now() - this.loadedAt > this.ttlMs) {
      this.value = await loadProgramSet(this.db);
      this.loadedAt = performance.now();
    }
    if (!this.value) throw new NoProgramError();
    return this.value;
  }

  invalidate(): void {
    this.loadedAt = -Infinity;
  }
}
