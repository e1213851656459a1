import 'reflect-metadata';
import { run } from './lifecycle';

// BullMQ processors only, no HTTP port: run as many as the queues need.
run('worker').catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
