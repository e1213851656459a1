import { QueryFailedError, QueryRunnerAlreadyReleasedError } from 'typeorm';
import { unavailableDependency } from './all-exceptions.filter';

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

describe('unavailableDependency', () => {
  it('names PostgreSQL for refused connections, shutdowns, pool timeouts and statement timeouts', () => {
    expect(
      unavailableDependency(withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')),
    ).toBe('postgres');
    expect(
      unavailableDependency(
        withCode('terminating connection due to administrator command', '57P01'),
      ),
    ).toBe('postgres');
    expect(unavailableDependency(withCode('the database system is starting up', '57P03'))).toBe(
      'postgres',
    );
    expect(unavailableDependency(new Error('timeout exceeded when trying to connect'))).toBe(
      'postgres',
    );
    expect(unavailableDependency(new Error('Connection terminated unexpectedly'))).toBe('postgres');
    const wrapped = new QueryFailedError(
      'SELECT 1',
      [],
      withCode('canceling statement due to statement timeout', '57014'),
    );
    expect(unavailableDependency(wrapped)).toBe('postgres');
    expect(unavailableDependency(new QueryRunnerAlreadyReleasedError())).toBe('postgres');
  });

  it('names Redis for ioredis refusing commands while disconnected', () => {
    expect(
      unavailableDependency(
        new Error("Stream isn't writeable and enableOfflineQueue options is false"),
      ),
    ).toBe('redis');
    const maxRetries = new Error('Reached the max retries per request limit (which is 1).');
    maxRetries.name = 'MaxRetriesPerRequestError';
    expect(unavailableDependency(maxRetries)).toBe('redis');
  });

  it('never relabels a query of ours failing as an outage', () => {
    expect(
      unavailableDependency(withCode('duplicate key value violates unique constraint', '23505')),
    ).toBeNull();
    expect(
      unavailableDependency(withCode('invalid input syntax for type uuid', '22P02')),
    ).toBeNull();
    expect(unavailableDependency(withCode('protocol violation', '08P01'))).toBeNull();
    expect(unavailableDependency(new Error('boom'))).toBeNull();
    expect(unavailableDependency('ECONNREFUSED')).toBeNull();
  });
});
