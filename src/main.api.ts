import 'reflect-metadata';
import { run } from './lifecycle';

// HTTP only: scale these out behind a load balancer.
run('api').catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
