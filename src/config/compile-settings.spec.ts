import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');

// `npm start` builds with .swcrc; `npm run start:dev`, the CLI and the benchmarks compile with
// @swc-node/register, which reads tsconfig.json. When the two defined class fields differently,
// the validation pipe under the dev runner saw every optional DTO field as sent and refused
// every report ("events should not exist").
describe('the dev runner (node -r @swc-node/register)', () => {
  it('accepts a plain report as the built server does', () => {
    const script = `
      const { apiValidationPipe } = require('./src/common/validation');
      const { CreateReportDto } = require('./src/modules/intake/dto/create-report.dto');
      apiValidationPipe()
        .transform({ description: 'Export button does nothing' }, { type: 'body', metatype: CreateReportDto })
        .then(() => console.log('accepted'), (e) => console.log(JSON.stringify(e.getResponse?.() ?? e.message)));
    `;
    const run = spawnSync(process.execPath, ['-r', '@swc-node/register', '-e', script], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, SWCRC: '' },
      timeout: 60_000,
    });
    expect(run.stderr).toBe('');
    expect(run.stdout.trim()).toBe('accepted');
  });
});
