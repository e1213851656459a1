const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
      target: 'es2022',
      keepClassNames: true,
    },
  },
];

// Octokit (and the small packages it imports) ships ESM only; jest loads CommonJS, so these
// are compiled ESM -> CommonJS like our own TypeScript. Everything else in node_modules is not.
const esmOnly = [
  '@octokit',
  'universal-user-agent',
  'before-after-hook',
  'json-with-bigint',
  'email-forward-parser',
  'email-reply-parser',
];
const swcEsm = [
  '@swc/jest',
  { jsc: { parser: { syntax: 'ecmascript' }, target: 'es2022' }, module: { type: 'commonjs' } },
];

/** What every project shares: how TypeScript and ESM-only packages are compiled. */
const base = {
  rootDir: __dirname,
  testEnvironment: 'node',
  // Jest's soft clean-up of globals between files wraps their setters in a way that recurses
  // forever when a library (undici, the Sentry SDK) sets the same global again in the next
  // file, hanging that file. Each file closes what it opens, so the clean-up buys nothing here.
  testEnvironmentOptions: { globalsCleanup: 'off' },
  transform: { '^.+\\.ts$': swc, '^.+/node_modules/.+\\.m?js$': swcEsm },
  // @octokit/request also nests an ESM-only `content-type` (v3); express's top-level one is CJS.
  transformIgnorePatterns: [
    `^(?!.*/node_modules/@octokit/[^/]+/node_modules/content-type/).*/node_modules/(?!(${esmOnly.join('|')})/)`,
  ],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
};

// `npm test` runs both projects; `npm run test:unit` / `test:e2e` pick one (--selectProjects).
// The real-data evaluations are a third config, jest.datasets.config.js (`npm run test:datasets`).
/** @type {import('jest').Config} */
module.exports = {
  projects: [
    {
      ...base,
      // Pure logic and services with faked collaborators: no PostgreSQL, Redis or browser.
      displayName: 'unit',
      testMatch: ['<rootDir>/src/**/*.spec.ts'],
    },
    {
      ...base,
      // The real app against real PostgreSQL and Redis; external services are fake servers.
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      // Runs only when an e2e file is selected: builds the migrated template database.
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
  ],
  // Global only: jest ignores a project's own testTimeout.
  testTimeout: 60_000,
  // Two cores: run two files at a time; each has its own database and queue prefix.
  maxWorkers: 2,
};
