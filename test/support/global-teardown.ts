import { adminQuery } from './databases';

export default async function globalTeardown(): Promise<void> {
  const template = process.env.REPRO_TEST_TEMPLATE;
  if (template) await adminQuery(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`);
}
