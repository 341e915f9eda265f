// Profiles the worker processes a bench run starts (node refuses --cpu-prof in NODE_OPTIONS):
//   mkdir -p bench/out/prof && PROFILE_DIR=bench/out/prof \
//   NODE_OPTIONS="--import ./bench/tools/profile-workers.mjs" npx tsx bench/run.ts --quick --only e2e
// Each `tierline workers` process writes PID-ROLE.cpuprofile when it exits;
// bench/tools/summarize-profile.py summarises one.
import { writeFileSync } from 'node:fs';
import inspector from 'node:inspector';
import { join } from 'node:path';
import process from 'node:process';

if (process.argv.includes('workers')) {
  const session = new inspector.Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.start');
  process.on('exit', () => {
    // Synchronous on the main thread's own session: the profile is written before the process ends.
    session.post('Profiler.stop', (error, result) => {
      if (error) return;
      const role = process.argv
        .slice(process.argv.indexOf('workers') + 1)
        .join('_')
        .replace(/[^a-z_]/gi, '');
      writeFileSync(
        join(process.env.PROFILE_DIR ?? '.', `${process.pid}-${role}.cpuprofile`),
        JSON.stringify(result.profile),
      );
    });
  });
}
