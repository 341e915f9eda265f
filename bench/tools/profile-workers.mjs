// Profiles the worker processes a bench run starts (node refuses --cpu-prof in NODE_OPTIONS):
//   mkdir -p bench/out/prof && PROFILE_DIR=bench/out/prof \
//   NODE_OPTIONS="--import ./bench/tools/profile-workers.mjs" npx tsx bench/run.ts --quick --only e2e
// Each `tierline workers` process writes PID-ROLE.cpuprofile when it exits;
// bench/tools/summarize-profile.py summarises one. With PROFILE_ON_SIGNAL=1 a process
// profiles only between two SIGUSR2 (the e2e scenario sends them around its throughput
// phase), so start-up and the other phases stay out.
import { writeFileSync } from 'node:fs';
import inspector from 'node:inspector';
import { join } from 'node:path';
import process from 'node:process';

if (process.argv.includes('workers')) {
  const session = new inspector.Session();
  session.connect();
  session.post('Profiler.enable');
  const role = process.argv
    .slice(process.argv.indexOf('workers') + 1)
    .join('_')
    .replace(/[^a-z_]/gi, '');
  let running = false;
  const stop = () => {
    if (!running) return;
    running = false;
    // Synchronous on the main thread's own session: the profile is written before the process ends.
    session.post('Profiler.stop', (error, result) => {
      if (error) return;
      writeFileSync(
        join(process.env.PROFILE_DIR ?? '.', `${process.pid}-${role}.cpuprofile`),
        JSON.stringify(result.profile),
      );
    });
  };
  const start = () => {
    running = true;
    session.post('Profiler.start');
  };
  if (process.env.PROFILE_ON_SIGNAL === '1') process.on('SIGUSR2', () => (running ? stop() : start()));
  else start();
  process.on('exit', stop);
}
