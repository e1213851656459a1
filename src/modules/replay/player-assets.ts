import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** rrweb-player's browser build and stylesheet, served by Repro itself (no CDN). */
export interface PlayerAssets {
  js: string;
  css: string;
  /** Content hash: the page asks for `?v=<version>`, so the files can be cached for good. */
  version: string;
}

let loading: Promise<PlayerAssets> | null = null;

// The maps are not served, so the comments pointing at them are dropped.
function withoutSourceMap(text: string): string {
  return text.replace(/\n?(\/\/# sourceMappingURL=\S+|\/\*# sourceMappingURL=\S+ \*\/)\s*$/, '\n');
}

async function read(): Promise<PlayerAssets> {
  // The package's exports hide dist/; resolve its entry point and take the folder.
  const dist = dirname(require.resolve('rrweb-player'));
  const [js, css] = await Promise.all([
    readFile(join(dist, 'rrweb-player.umd.min.cjs'), 'utf8'),
    readFile(join(dist, 'style.min.css'), 'utf8'),
  ]);
  const version = createHash('sha256').update(js).update(css).digest('hex').slice(0, 16);
  return { js: withoutSourceMap(js), css: withoutSourceMap(css), version };
}

/** Read once per process; the files never change while it runs. */
export function playerAssets(): Promise<PlayerAssets> {
  loading ??= read().catch((error: unknown) => {
    loading = null;
    throw error;
  });
  return loading;
}
