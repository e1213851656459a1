/** The ES module build (dist/widget/repro.mjs): `import { init } from '…/widget/<version>.mjs'`. */
export * from './api';
