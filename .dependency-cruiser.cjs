/**
 * Module boundaries, checked by `npm run check` (dependency-cruiser).
 *
 * - Infrastructure (config, common, queue, database, observability) and the shared libraries
 *   (privacy, integrations) import no feature module.
 * - Feature modules (src/modules/<name>) form layers: a module imports only modules listed
 *   before it in LAYERS, so there is no import cycle between modules. The pipeline sits above
 *   every capability it conducts; the front doors (intake, webhooks) and the operator's views
 *   sit above the pipeline.
 * - A module's entities are its own: another module may name an entity as a type (a row it was
 *   handed), but never import the class to query or write its table; it asks the owner's
 *   service. Entities may reference each other's classes for relations (foreign keys). The
 *   TypeORM data source finds entities by file name, not by import.
 */

/** Bottom to top. */
const LAYERS = [
  'reports', // the kernel: Report, its audit log, the state machine and the transition service
  'projects',
  'users', // people who sign in, their sessions and projects (the projects guard finds it through SessionAuthenticator)
  'accounts',
  'recordings',
  'replay',
  'sentry',
  'conversation',
  'triage',
  'trackers',
  'dedupe',
  'notifications', // telling reporters and their systems (outgoing webhooks); the pipeline calls it
  'pipeline', // the one conductor
  'intake',
  'webhooks',
  'widget', // the in-app widget's public routes, through intake's front door
  'email', // mail in (POST /v1/emails, later webhooks and SMTP), through intake's front door
  'health',
  'metrics',
  'admin',
  'demo', // the demo app at /demo: a page with the widget installed
  'web', // the triage inbox's single-page app at /app (static files; its data comes from the API)
];

const INFRASTRUCTURE = ['config', 'common', 'queue', 'database', 'observability'];
const SHARED = ['privacy', 'integrations'];

const layerRules = LAYERS.slice(0, -1).map((name, i) => ({
  name: `layers-${name}`,
  comment: `${name} may not import modules above it (${LAYERS.slice(i + 1).join(', ')})`,
  severity: 'error',
  from: { path: `^src/modules/${name}/` },
  to: {
    path: `^src/modules/(${LAYERS.slice(i + 1).join('|')})/`,
    // An entity may name a higher module's entity as the type of a relation it declares by
    // name (the Report's reporter and account), which imports nothing at run time.
    ...(name === 'reports' ? { dependencyTypesNot: ['type-only'] } : {}),
  },
}));

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'No file imports itself through others.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'infrastructure-imports-no-feature',
      comment: 'Infrastructure and shared libraries import no feature module and no entry point.',
      severity: 'error',
      from: { path: `^src/(${[...INFRASTRUCTURE, ...SHARED].join('|')})/` },
      to: { path: ['^src/modules/', '^src/[^/]+\\.ts$'] },
    },
    {
      name: 'infrastructure-imports-no-shared-library',
      comment: 'Infrastructure stays below privacy and the vendor integrations.',
      severity: 'error',
      from: { path: `^src/(${INFRASTRUCTURE.join('|')})/` },
      to: { path: `^src/(${SHARED.join('|')})/` },
    },
    {
      name: 'unknown-module',
      comment: 'Every feature module has a place in LAYERS (.dependency-cruiser.cjs).',
      severity: 'error',
      from: { path: '^src/modules/' },
      to: { path: '^src/modules/', pathNot: `^src/modules/(${LAYERS.join('|')})/` },
    },
    ...layerRules,
    {
      name: 'entities-are-private',
      comment:
        "Another module's entity may be named as a type, never imported to query or write its table: ask the owner's service.",
      severity: 'error',
      // Entities may relate to each other's classes (foreign keys); nothing else may.
      from: { path: '^src/modules/([^/]+)/', pathNot: '\\.entity\\.ts$' },
      to: {
        path: '^src/modules/[^/]+/.*\\.entity\\.ts$',
        pathNot: '^src/modules/$1/',
        dependencyTypesNot: ['type-only'],
      },
    },
    {
      name: 'modules-import-no-entry-point',
      comment:
        'Entry points (app, api/worker modules, cli) compose modules; modules never import them.',
      severity: 'error',
      from: { path: '^src/(modules|privacy|integrations)/' },
      to: { path: '^src/[^/]+\\.ts$' },
    },
    {
      name: 'vendor-sdks-stay-in-their-adapter',
      comment:
        'Only the Linear adapter imports @linear/sdk, only the GitHub adapter Octokit, only the OpenAI integration openai.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/modules/trackers/linear/' },
      to: { path: 'node_modules/@linear/sdk/' },
    },
    {
      name: 'octokit-stays-in-its-adapter',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/modules/trackers/github/' },
      to: { path: 'node_modules/@octokit/' },
    },
    {
      name: 'openai-stays-in-its-integration',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/integrations/openai/' },
      to: { path: 'node_modules/openai/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '\\.spec\\.ts$' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
  },
};
