// `npm run test:datasets`: evaluations on the real bug reports in ../shared/datasets, which
// stay outside the repository (public issues whose text belongs to their authors).
const { existsSync } = require('node:fs');
const path = require('node:path');
const { projects } = require('./jest.config');

// Same folder as test/support/datasets.ts.
const DATASETS = path.resolve(__dirname, '..', 'shared', 'datasets');
if (!existsSync(DATASETS)) {
  console.error(
    `test:datasets: ${DATASETS} is missing; these evaluations need the real bug reports there (npm test does not).`,
  );
  process.exit(1);
}

const unit = projects.find((p) => p.displayName === 'unit');

/** @type {import('jest').Config} */
module.exports = {
  ...unit,
  // Pure evaluations: no PostgreSQL or Redis, like the unit tests.
  displayName: 'datasets',
  testMatch: ['<rootDir>/test/datasets/**/*.dataset-spec.ts'],
  testTimeout: 60_000,
  maxWorkers: 2,
};
