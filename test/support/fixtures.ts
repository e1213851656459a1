import path from 'node:path';

/** A file under test/fixtures/ (origins and licences in its SOURCES.md), from any test. */
export function fixturePath(...parts: string[]): string {
  return path.join(__dirname, '..', 'fixtures', ...parts);
}
