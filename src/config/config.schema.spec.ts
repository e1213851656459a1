import { ConfigError, loadConfig } from './config.schema';

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected the config to be refused');
}

describe('configuration schema', () => {
  it('starts from nothing: localhost PostgreSQL and Redis, port 3000', () => {
    const config = loadConfig({});
    expect(config.DATABASE_URL).toBe('postgres://postgres@127.0.0.1:5432/repro');
    expect(config.REDIS_URL).toBe('redis://127.0.0.1:6379');
    expect(config.PORT).toBe(3000);
    expect(config.PUBLIC_URL).toBe('http://localhost:3000');
    expect(config.MIGRATIONS_RUN).toBe(true);
    expect(config.ADMIN_TOKEN).toBeUndefined();
  });

  it('treats empty strings as unset, as compose files and shells produce them', () => {
    expect(loadConfig({ ADMIN_TOKEN: '', PORT: '' }).PORT).toBe(3000);
  });

  it('names each bad variable and what is wrong with it', () => {
    expect(problems({ PORT: 'eighty', REDIS_URL: 'http://x', WORKER_CONCURRENCY: '0' })).toEqual(
      expect.arrayContaining([
        'PORT must be a number',
        'REDIS_URL must be a URL starting with redis:// or rediss://',
        'WORKER_CONCURRENCY must be at least 1',
      ]),
    );
    expect(problems({ MIGRATIONS_RUN: 'yes' })).toEqual(['MIGRATIONS_RUN must be true or false']);
  });

  it('never repeats a secret value in its messages', () => {
    const secret = 'sk-short';
    const message = (() => {
      try {
        loadConfig({
          ADMIN_TOKEN: 'tooshort',
          OPENAI_API_KEY: secret,
          DATABASE_URL: 'mysql://u:hunter2@db/x',
        });
      } catch (error) {
        return (error as Error).message;
      }
      return '';
    })();
    expect(message).toContain('ADMIN_TOKEN must be at least 16 characters');
    expect(message).toContain(
      'DATABASE_URL must be a URL starting with postgres:// or postgresql://',
    );
    expect(message).not.toContain('tooshort');
    expect(message).not.toContain('hunter2');
  });

  it('validates optional integrations only when present, and their pairings', () => {
    expect(() => loadConfig({})).not.toThrow();
    expect(problems({ LINEAR_API_KEY: 'lin_api_123456' })).toEqual([
      'LINEAR_TEAM is required when LINEAR_API_KEY is set',
    ]);
    expect(problems({ GITHUB_TOKEN: 'ghp_12345678', GITHUB_REPO: 'just-a-name' })).toEqual([
      'GITHUB_REPO must look like owner/name',
    ]);
    expect(problems({ SMTP_URL: 'mail.example.com' })).toEqual([
      'SMTP_URL must be a URL starting with smtp:// or smtps://',
    ]);
    expect(
      problems({
        LINEAR_API_KEY: 'lin_api_123456',
        LINEAR_TEAM: 'ENG',
        GITHUB_TOKEN: 'ghp_12345678',
        GITHUB_REPO: 'a/b',
      }),
    ).toEqual([
      'GITHUB_TOKEN cannot be set together with LINEAR_API_KEY: choose one tracker destination',
    ]);
  });

  it('derives PUBLIC_URL from PORT and strips a trailing slash from an explicit one', () => {
    expect(loadConfig({ PORT: '8080' }).PUBLIC_URL).toBe('http://localhost:8080');
    expect(loadConfig({ PUBLIC_URL: 'https://repro.acme.com/' }).PUBLIC_URL).toBe(
      'https://repro.acme.com',
    );
  });
});
