import 'reflect-metadata';
import { run } from './lifecycle';

// API and worker in one process: the single-machine default (`npm start`).
run('all').catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
