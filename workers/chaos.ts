// Fault-injection hook for the chaos harness (test/chaos, `npm run test:chaos`). Off unless
// TIERLINE_CHAOS_CRASH_AFTER_COMMIT=1; never set it in production. With it, SIGUSR2 arms the
// process, and the next afterCommit() SIGKILLs it: a worker that has committed its effects
// to Postgres but not yet told BullMQ the job is complete, so the job runs again (the
// classic double count). Killing from outside cannot aim at that instant; this can.
let armed = false;
let installed = false;

export function installChaosHooks(env: Record<string, string | undefined> = process.env): void {
  if (installed || env.TIERLINE_CHAOS_CRASH_AFTER_COMMIT !== '1') return;
  installed = true;
  process.on('SIGUSR2', () => {
    armed = true;
  });
}

/** Called right after a worker's transaction commits and before its job completes. */
export function afterCommit(): void {
  if (armed) process.kill(process.pid, 'SIGKILL');
}
