/**
 * Preloaded into a worker process by the pipeline benchmarks (`--cpu-prof <dir>`; NODE_OPTIONS
 * does not allow node's own --cpu-prof): profiles the CPU from start until SIGUSR2, then writes
 * CPU_PROFILE_DIR/worker-<pid>.cpuprofile (open it in Chrome DevTools).
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

const session = new Session();
session.connect();
session.post('Profiler.enable', () => session.post('Profiler.start'));
process.on('SIGUSR2', () => {
  session.post('Profiler.stop', (error, result) => {
    if (error) return console.error(error);
    const file = join(process.env.CPU_PROFILE_DIR ?? '.', `worker-${process.pid}.cpuprofile`);
    writeFileSync(file, JSON.stringify(result.profile));
    console.error(`CPU profile written to ${file}`);
  });
});
