import { readFileSync } from 'node:fs';
import path from 'node:path';
import { configSchema } from './config.schema';

/** What the compose file sets for the api and worker containers: its `x-app` environment. */
function composeAppEnvironment(): Map<string, string> {
  const file = path.join(__dirname, '..', '..', 'docker-compose.yml');
  const lines = readFileSync(file, 'utf8').split('\n');
  const env = new Map<string, string>();
  let inEnvironment = false;
  for (const line of lines.slice(lines.findIndex((l) => l.startsWith('x-app:')) + 1)) {
    if (/^\S/.test(line)) break;
    if (/^ {2}\S/.test(line)) {
      inEnvironment = line.trim() === 'environment:';
      continue;
    }
    const entry = inEnvironment ? /^ {4}([A-Z][A-Z0-9_]*): (.*)$/.exec(line) : null;
    if (entry) env.set(entry[1], entry[2]);
  }
  return env;
}

/** Set by the image (NODE_ENV=production, PORT=3000) or pointed at compose's own services. */
const FIXED = ['NODE_ENV', 'PORT', 'DATABASE_URL', 'REDIS_URL'];

describe('docker-compose.yml', () => {
  const settings = Object.keys(configSchema.in.shape);
  const compose = composeAppEnvironment();

  it('passes every setting the app reads through to the api and worker', () => {
    expect(compose.size).toBeGreaterThan(10);
    const missing = settings.filter((key) => !FIXED.includes(key) && !compose.has(key));
    expect(missing).toEqual([]);
  });

  it('passes each one under its own name, and nothing the app does not read', () => {
    const misnamed = [...compose]
      .filter(([key, value]) => !FIXED.includes(key) && !value.startsWith(`\${${key}:-`))
      .map(([key]) => key);
    expect(misnamed).toEqual([]);
    expect([...compose.keys()].filter((key) => !settings.includes(key))).toEqual([]);
  });
});
