import { createHmac } from 'node:crypto';
import { hmacMatches, readGithubIssuesDelivery, readLinearDelivery } from './webhook-payloads';

const linearData = {
  id: 'b1a2c3d4-0000-4000-8000-000000000001',
  identifier: 'ENG-12',
  title: 'Export is broken',
  description: null,
  url: 'https://linear.app/acme/issue/ENG-12',
  state: { name: 'Canceled', type: 'canceled' },
  labels: [{ name: 'bug' }, { name: 'repro' }],
  updatedAt: '2026-11-24T04:00:00.000Z',
};

const githubBody = (action: string, issue: Record<string, unknown> = {}) => ({
  action,
  repository: { full_name: 'acme/web' },
  issue: {
    node_id: 'I_kwDOABC',
    number: 88,
    title: 'Save fails',
    body: null,
    html_url: 'https://github.com/acme/web/issues/88',
    state: 'closed',
    state_reason: 'not_planned',
    labels: [],
    updated_at: '2026-11-24T04:00:00Z',
    ...issue,
  },
});

describe('hmacMatches', () => {
  const raw = Buffer.from('{"a":1}');
  const good = createHmac('sha256', 'secret-value').update(raw).digest('hex');

  it('accepts the hex HMAC-SHA256 of the exact bytes, in either case', () => {
    expect(hmacMatches(raw, 'secret-value', good)).toBe(true);
    expect(hmacMatches(raw, 'secret-value', good.toUpperCase())).toBe(true);
  });

  it('refuses another secret, other bytes, and anything that is not 64 hex digits', () => {
    expect(hmacMatches(raw, 'other-secret', good)).toBe(false);
    expect(hmacMatches(Buffer.from('{"a":2}'), 'secret-value', good)).toBe(false);
    expect(hmacMatches(raw, 'secret-value', good.slice(2))).toBe(false);
    expect(hmacMatches(raw, 'secret-value', '')).toBe(false);
  });
});

describe('readLinearDelivery', () => {
  it('reads an Issue update; a canceled state closes it', () => {
    expect(readLinearDelivery({ type: 'Issue', action: 'update', data: linearData })).toEqual({
      kind: 'issue',
      change: {
        provider: 'linear',
        externalId: linearData.id,
        key: 'ENG-12',
        url: linearData.url,
        title: 'Export is broken',
        body: '',
        state: 'Canceled',
        stateDetail: 'canceled',
        open: false,
        labels: ['bug', 'repro'],
        remoteUpdatedAt: new Date(linearData.updatedAt),
        removed: false,
      },
    });
  });

  it('needs only the id to remove an issue', () => {
    const outcome = readLinearDelivery({ type: 'Issue', action: 'remove', data: { id: 'x' } });
    expect(outcome).toMatchObject({
      kind: 'issue',
      change: { externalId: 'x', state: 'Deleted', open: false, removed: true },
    });
  });

  it('ignores other event types and actions, and names every bad field', () => {
    expect(readLinearDelivery({ type: 'Comment', action: 'create', data: {} })).toEqual({
      kind: 'ignored',
      reason: 'event',
    });
    expect(readLinearDelivery({ type: 'Issue', action: 'restore', data: {} })).toEqual({
      kind: 'ignored',
      reason: 'action',
    });
    const outcome = readLinearDelivery({
      type: 'Issue',
      action: 'update',
      data: { ...linearData, id: 7, updatedAt: 'yesterday', labels: ['bug'] },
    });
    expect(outcome).toEqual({
      kind: 'invalid',
      problems: [
        { field: 'data.id', message: 'must be a string' },
        { field: 'data.labels', message: 'must be an array of { name }' },
        { field: 'data.updatedAt', message: 'must be an ISO 8601 date' },
      ],
    });
  });
});

describe('readGithubIssuesDelivery', () => {
  it('reads a closed issue with its reason and the repository-qualified key', () => {
    expect(readGithubIssuesDelivery(githubBody('closed'), 'acme/web')).toMatchObject({
      kind: 'issue',
      change: {
        provider: 'github',
        externalId: 'I_kwDOABC',
        key: 'acme/web#88',
        state: 'closed',
        stateDetail: 'not_planned',
        open: false,
        body: '',
        removed: false,
      },
    });
  });

  it('treats deleted and transferred issues as removed', () => {
    for (const action of ['deleted', 'transferred']) {
      expect(
        readGithubIssuesDelivery(githubBody(action, { state: 'open' }), undefined),
      ).toMatchObject({ kind: 'issue', change: { state: action, open: false, removed: true } });
    }
  });

  it('ignores another repository than the configured one, and refuses a broken issue', () => {
    expect(readGithubIssuesDelivery(githubBody('opened'), 'acme/api')).toEqual({
      kind: 'ignored',
      reason: 'repository',
    });
    expect(readGithubIssuesDelivery(githubBody('opened', { number: '88' }), undefined)).toEqual({
      kind: 'invalid',
      problems: [{ field: 'issue.number', message: 'must be an integer' }],
    });
  });
});
