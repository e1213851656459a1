import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';

/** A recorded GitHub response from @octokit/fixtures: the shapes the fake answers with. */
function recorded(scenario: string, index: number): Record<string, unknown> {
  const root = dirname(require.resolve('@octokit/fixtures/package.json'));
  const file = join(root, 'scenarios/api.github.com', scenario, 'normalized-fixture.json');
  const pairs = JSON.parse(readFileSync(file, 'utf8')) as { response: unknown }[];
  return pairs[index].response as Record<string, unknown>;
}

// POST /repos/:owner/:repo/issues (201) and one label of POST .../issues/1/labels (200).
const ISSUE_SHAPE = recorded('add-labels-to-issue', 0);
const LABEL_SHAPE = (recorded('add-labels-to-issue', 1) as unknown as Record<string, unknown>[])[0];
const DOCS = 'https://docs.github.com/rest';

export interface FakeIssue {
  repo: string;
  number: number;
  title: string;
  body: string | null;
  labels: string[];
  assignees: string[];
  state: 'open' | 'closed';
  creator: string;
  createdAt: Date;
  /** False while GitHub's search index has not caught up with this issue. */
  indexed: boolean;
  comments: string[];
  /** Last change; creation time when absent. */
  updatedAt?: Date;
  /** A pull request, which GitHub lists among issues. */
  pullRequest?: boolean;
}

export interface RecordedRequest {
  method: string;
  /** Path and query as sent, including any Enterprise prefix such as `/api/v3`. */
  url: string;
  /** The path below the API root, without the query string. */
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: unknown;
}

/** What the next scripted requests answer instead of the real thing. */
export type Fault =
  | { kind: 'rate-limit'; status: 403 | 429; retryAfterSeconds: number }
  | { kind: 'rate-limit-reset'; status: 403 | 429; resetEpochSeconds: number }
  | { kind: 'forbidden' }
  /** Never answers (until the server stops). */
  | { kind: 'hang' }
  | { kind: 'server'; status: 500 | 502 };

/**
 * A GitHub REST API on a local port: issues, search, comments, labels and `GET /user`, with
 * GitHub's auth check, error bodies, rate-limit headers and Link pagination, so the real
 * Octokit client is what tests exercise. Also answers under `/api/v3` (GitHub Enterprise).
 */
export class FakeGitHub {
  readonly requests: RecordedRequest[] = [];
  readonly issues: FakeIssue[] = [];
  readonly labels = new Map<string, Set<string>>();
  /** While true, issues created are not yet visible to search (GitHub indexes asynchronously). */
  searchLag = false;
  private faults: { fault: Fault; method?: string; path?: RegExp }[] = [];
  private server?: Server;
  private port = 0;

  constructor(
    readonly token = 'ghp_fake_token',
    readonly repos: string[] = ['acme/app'],
    readonly login = 'octokit-fixture-user-a',
  ) {
    for (const repo of repos) this.labels.set(repo, new Set(['bug']));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      void this.read(req).then(
        (body) => this.handle(req, body, res),
        () => res.destroy(),
      );
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  private holdCreate: (() => void) | null = null;

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  /**
   * The next issue create is carried out, but its answer is never sent (until stop): the caller
   * can be killed in exactly the window between GitHub's "created" and its own commit.
   * Resolves when the issue exists.
   */
  holdNextCreate(): Promise<void> {
    return new Promise((resolve) => {
      this.holdCreate = resolve;
    });
  }

  /** The next `count` requests answer with `fault`. */
  failNext(count: number, fault: Fault, only: { method?: string; path?: RegExp } = {}): void {
    for (let i = 0; i < count; i++) this.faults.push({ fault, ...only });
  }

  /** GitHub's search index catches up with every issue. */
  indexAll(): void {
    for (const issue of this.issues) issue.indexed = true;
  }

  /** Puts an issue (or pull request) straight into the repository. */
  seedIssue(
    repo: string,
    input: {
      title: string;
      state?: 'open' | 'closed';
      labels?: string[];
      updatedAt?: Date;
      pullRequest?: boolean;
      /** `About <title>` by default. */
      body?: string;
      /** Who opened it: the token's own login by default. */
      creator?: string;
    },
  ): FakeIssue {
    const createdAt = input.updatedAt ?? new Date();
    const issue: FakeIssue = {
      repo,
      number: this.issues.filter((i) => i.repo === repo).length + 1,
      title: input.title,
      body: input.body ?? `About ${input.title}`,
      labels: input.labels ?? [],
      assignees: [],
      state: input.state ?? 'open',
      creator: input.creator ?? this.login,
      createdAt,
      updatedAt: createdAt,
      indexed: true,
      comments: [],
      pullRequest: input.pullRequest,
    };
    this.issues.push(issue);
    return issue;
  }

  reset(): void {
    this.requests.length = 0;
    this.issues.length = 0;
    this.faults = [];
    this.searchLag = false;
  }

  requestsTo(method: string, path: RegExp): RecordedRequest[] {
    return this.requests.filter((r) => r.method === method && path.test(r.path));
  }

  private async read(req: IncomingMessage): Promise<unknown> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    return text ? (JSON.parse(text) as unknown) : undefined;
  }

  private handle(req: IncomingMessage, body: unknown, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', this.url);
    const prefix = url.pathname.startsWith('/api/v3/') ? '/api/v3' : '';
    const path = url.pathname.slice(prefix.length);
    const method = req.method ?? 'GET';
    this.requests.push({
      method,
      url: req.url ?? '/',
      path,
      query: url.searchParams,
      headers: req.headers,
      body,
    });

    const auth = req.headers.authorization ?? '';
    if (auth !== `token ${this.token}` && auth !== `Bearer ${this.token}`) {
      return this.send(res, 401, { message: 'Bad credentials', documentation_url: DOCS });
    }
    // A fault aimed at one route (e.g. issue creation) waits for a request to that route.
    const index = this.faults.findIndex(
      (f) => (!f.method || f.method === method) && (!f.path || f.path.test(path)),
    );
    if (index >= 0) return this.sendFault(res, this.faults.splice(index, 1)[0].fault);

    const api = `${this.url}${prefix}`;
    let m: RegExpMatchArray | null;
    if (method === 'GET' && path === '/user') {
      return this.send(res, 200, this.user());
    }
    if (method === 'GET' && path === '/search/issues') {
      return this.search(res, url.searchParams.get('q') ?? '');
    }
    if (!(m = path.match(/^\/repos\/([^/]+)\/([^/]+)(\/.*)$/))) return this.notFound(res);
    const repo = `${m[1]}/${m[2]}`;
    const rest = m[3];
    if (!this.repos.includes(repo)) return this.notFound(res);

    if (rest === '/issues' && method === 'POST') return this.createIssue(res, repo, body);
    if (rest === '/issues' && method === 'GET') {
      return this.listIssues(res, repo, url.searchParams, `${api}${path}`);
    }
    if (rest === '/labels' && method === 'GET') {
      return this.send(
        res,
        200,
        [...this.labels.get(repo)!].map((n) => this.label(repo, n)),
      );
    }
    if (rest === '/labels' && method === 'POST') {
      const name = (body as { name?: string } | undefined)?.name;
      if (!name) return this.invalid(res, 'Label', 'name');
      if (this.labels.get(repo)!.has(name))
        return this.invalid(res, 'Label', 'name', 'already_exists');
      this.labels.get(repo)!.add(name);
      return this.send(res, 201, this.label(repo, name));
    }
    if (!(m = rest.match(/^\/issues\/(\d+)(\/comments|\/labels)?(?:\/([^/]+))?$/)))
      return this.notFound(res);
    if (m[3] !== undefined && m[2] !== '/labels') return this.notFound(res);
    const issue = this.issues.find((i) => i.repo === repo && i.number === Number(m[1]));
    if (!issue) return this.notFound(res);
    if (!m[2] && method === 'GET') return this.send(res, 200, this.issueJson(issue));
    if (m[2] === '/comments' && method === 'GET') {
      return this.send(
        res,
        200,
        issue.comments.map((text) => this.commentJson(issue, text)),
      );
    }
    if (m[2] === '/comments' && method === 'POST') {
      const text = (body as { body?: string } | undefined)?.body;
      if (!text) return this.invalid(res, 'IssueComment', 'body');
      issue.comments.push(text);
      return this.send(res, 201, this.commentJson(issue, text));
    }
    if (m[2] === '/labels' && m[3] !== undefined && method === 'DELETE') {
      // DELETE /repos/{owner}/{repo}/issues/{n}/labels/{name}: 404 when the issue lacks it.
      const name = decodeURIComponent(m[3]);
      const at = issue.labels.findIndex((l) => l.toLowerCase() === name.toLowerCase());
      if (at < 0)
        return this.send(res, 404, { message: 'Label does not exist', documentation_url: DOCS });
      issue.labels.splice(at, 1);
      return this.send(
        res,
        200,
        issue.labels.map((n) => this.label(repo, n)),
      );
    }
    if (m[2] === '/labels' && m[3] === undefined && method === 'GET') {
      return this.send(
        res,
        200,
        issue.labels.map((n) => this.label(repo, n)),
      );
    }
    if (m[2] === '/labels' && m[3] === undefined && method === 'POST') {
      const names = labelNames(Array.isArray(body) ? body : (body as { labels?: unknown })?.labels);
      for (const name of names) {
        this.labels.get(repo)!.add(name);
        if (!issue.labels.includes(name)) issue.labels.push(name);
      }
      return this.send(
        res,
        200,
        issue.labels.map((n) => this.label(repo, n)),
      );
    }
    return this.notFound(res);
  }

  private createIssue(res: ServerResponse, repo: string, body: unknown): void {
    const input = (body ?? {}) as {
      title?: string;
      body?: string;
      labels?: unknown;
      assignees?: string[];
    };
    if (!input.title) return this.invalid(res, 'Issue', 'title', 'missing_field');
    const labels = labelNames(input.labels);
    // GitHub creates labels named on a new issue that the repository does not have yet.
    for (const name of labels) this.labels.get(repo)!.add(name);
    const issue: FakeIssue = {
      repo,
      number: this.issues.filter((i) => i.repo === repo).length + 1,
      title: input.title,
      body: input.body ?? null,
      labels,
      assignees: input.assignees ?? [],
      state: 'open',
      creator: this.login,
      createdAt: new Date(),
      indexed: !this.searchLag,
      comments: [],
    };
    this.issues.push(issue);
    const json = this.issueJson(issue);
    if (this.holdCreate) {
      const arrived = this.holdCreate;
      this.holdCreate = null;
      arrived();
      return;
    }
    this.send(res, 201, json, { location: json.url as string });
  }

  private listIssues(
    res: ServerResponse,
    repo: string,
    query: URLSearchParams,
    selfUrl: string,
  ): void {
    const state = query.get('state') ?? 'open';
    const creator = query.get('creator');
    const since = query.get('since') ? new Date(query.get('since')!) : null;
    const perPage = Math.min(Number(query.get('per_page') ?? 30), 100);
    const page = Math.max(Number(query.get('page') ?? 1), 1);
    const matching = this.issues
      .filter((i) => i.repo === repo)
      .filter((i) => state === 'all' || i.state === state)
      .filter((i) => !creator || i.creator === creator)
      // `since` compares with updated_at, which for these issues is their creation time.
      .filter((i) => !since || (i.updatedAt ?? i.createdAt) >= since)
      .sort((a, b) =>
        query.get('direction') === 'asc' ? a.number - b.number : b.number - a.number,
      );
    if (query.get('sort') === 'updated') {
      const updated = (i: FakeIssue) => (i.updatedAt ?? i.createdAt).getTime();
      const asc = query.get('direction') === 'asc';
      matching.sort((a, b) => (asc ? 1 : -1) * (updated(a) - updated(b) || a.number - b.number));
    }
    const last = Math.max(Math.ceil(matching.length / perPage), 1);
    const link = (p: number, rel: string) => {
      const params = new URLSearchParams(query);
      params.set('page', String(p));
      return `<${selfUrl}?${params.toString()}>; rel="${rel}"`;
    };
    const links = [
      page > 1 && link(page - 1, 'prev'),
      page < last && link(page + 1, 'next'),
      page < last && link(last, 'last'),
      page > 1 && link(1, 'first'),
    ].filter((l): l is string => typeof l === 'string');
    const items = matching.slice((page - 1) * perPage, page * perPage);
    this.send(
      res,
      200,
      items.map((i) => this.issueJson(i)),
      links.length ? { link: links.join(', ') } : {},
    );
  }

  /** Enough of GitHub's search syntax for Repro: quoted phrases, words, in:, repo:, type:/is:. */
  private search(res: ServerResponse, q: string): void {
    const terms = [...q.matchAll(/"([^"]*)"|(\S+)/g)].map((t) => ({
      phrase: t[1] !== undefined,
      text: t[1] ?? t[2],
    }));
    const qualifier = (name: string) =>
      terms.find((t) => !t.phrase && t.text.startsWith(`${name}:`))?.text.slice(name.length + 1);
    const repo = qualifier('repo');
    const within = qualifier('in');
    const kind = qualifier('type') ?? qualifier('is');
    const words = terms.filter((t) => t.phrase || !/^[a-z]+:/.test(t.text)).map((t) => t.text);
    if (kind && kind !== 'issue' && kind !== 'pr' && kind !== 'pull-request') {
      return this.send(res, 422, {
        message: 'Validation Failed',
        errors: [{ resource: 'Search', field: 'q', code: 'invalid' }],
        documentation_url: `${DOCS}/search/search#search-issues-and-pull-requests`,
      });
    }
    const items = this.issues
      .filter((i) => i.indexed && (!repo || i.repo === repo) && kind !== 'pr')
      .filter((i) =>
        words.every((w) => {
          const needle = w.toLowerCase();
          const inTitle = i.title.toLowerCase().includes(needle);
          const inBody = (i.body ?? '').toLowerCase().includes(needle);
          return within === 'body' ? inBody : within === 'title' ? inTitle : inTitle || inBody;
        }),
      )
      .map((i) => ({ ...this.issueJson(i), score: 1 }));
    this.send(res, 200, { total_count: items.length, incomplete_results: false, items });
  }

  private user(login = this.login): Record<string, unknown> {
    const shape = ISSUE_SHAPE.user as Record<string, unknown>;
    return { ...shape, login, html_url: `https://github.com/${login}` };
  }

  private issueJson(issue: FakeIssue): Record<string, unknown> {
    const api = `https://api.github.com/repos/${issue.repo}/issues/${issue.number}`;
    const id = 1000 + this.issues.indexOf(issue);
    return {
      ...ISSUE_SHAPE,
      url: api,
      repository_url: `https://api.github.com/repos/${issue.repo}`,
      labels_url: `${api}/labels{/name}`,
      comments_url: `${api}/comments`,
      events_url: `${api}/events`,
      timeline_url: `${api}/timeline`,
      html_url: `https://github.com/${issue.repo}/issues/${issue.number}`,
      id,
      node_id: Buffer.from(`04:Issue${id}`).toString('base64'),
      number: issue.number,
      title: issue.title,
      body: issue.body,
      user: this.user(issue.creator),
      labels: issue.labels.map((n) => this.label(issue.repo, n)),
      state: issue.state,
      assignee: issue.assignees[0] ? { ...this.user(), login: issue.assignees[0] } : null,
      assignees: issue.assignees.map((login) => ({ ...this.user(), login })),
      comments: issue.comments.length,
      created_at: issue.createdAt.toISOString().replace(/\.\d+Z$/, 'Z'),
      updated_at: (issue.updatedAt ?? issue.createdAt).toISOString().replace(/\.\d+Z$/, 'Z'),
      ...(issue.pullRequest
        ? {
            pull_request: {
              url: `https://api.github.com/repos/${issue.repo}/pulls/${issue.number}`,
              html_url: `https://github.com/${issue.repo}/pull/${issue.number}`,
              diff_url: `https://github.com/${issue.repo}/pull/${issue.number}.diff`,
              patch_url: `https://github.com/${issue.repo}/pull/${issue.number}.patch`,
              merged_at: null,
            },
          }
        : {}),
    };
  }

  private commentJson(issue: FakeIssue, body: string): Record<string, unknown> {
    const id = 2000 + issue.comments.length;
    return {
      id,
      node_id: Buffer.from(`012:IssueComment${id}`).toString('base64'),
      url: `https://api.github.com/repos/${issue.repo}/issues/comments/${id}`,
      html_url: `https://github.com/${issue.repo}/issues/${issue.number}#issuecomment-${id}`,
      issue_url: `https://api.github.com/repos/${issue.repo}/issues/${issue.number}`,
      body,
      user: this.user(),
      created_at: new Date().toISOString(),
      updated_at: new Date().toISOString(),
      author_association: 'MEMBER',
    };
  }

  private label(repo: string, name: string): Record<string, unknown> {
    return {
      ...LABEL_SHAPE,
      url: `https://api.github.com/repos/${repo}/labels/${encodeURIComponent(name)}`,
      name,
    };
  }

  private notFound(res: ServerResponse): void {
    this.send(res, 404, { message: 'Not Found', documentation_url: DOCS });
  }

  private invalid(res: ServerResponse, resource: string, field: string, code = 'invalid'): void {
    // The errors scenario's 422 shape.
    this.send(res, 422, {
      message: 'Validation Failed',
      errors: [{ resource, code, field }],
      documentation_url: DOCS,
    });
  }

  private sendFault(res: ServerResponse, fault: Fault): void {
    const rateLimitDocs = `${DOCS}/overview/rate-limits-for-the-rest-api`;
    switch (fault.kind) {
      case 'rate-limit':
        return this.send(
          res,
          fault.status,
          {
            message:
              'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
            documentation_url: rateLimitDocs,
          },
          { 'retry-after': String(fault.retryAfterSeconds) },
        );
      case 'rate-limit-reset':
        return this.send(
          res,
          fault.status,
          {
            message: 'API rate limit exceeded for user ID 1000.',
            documentation_url: rateLimitDocs,
          },
          {
            'x-ratelimit-limit': '5000',
            'x-ratelimit-remaining': '0',
            'x-ratelimit-used': '5000',
            'x-ratelimit-reset': String(fault.resetEpochSeconds),
            'x-ratelimit-resource': 'core',
          },
        );
      case 'forbidden':
        return this.send(res, 403, {
          message: 'Resource not accessible by personal access token',
          documentation_url: DOCS,
        });
      case 'hang':
        return;
      case 'server':
        return this.send(res, fault.status, {
          message: fault.status === 502 ? 'Server Error' : 'Internal Server Error',
        });
    }
  }

  private send(
    res: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): void {
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'x-github-media-type': 'github.v3; format=json',
      'x-github-request-id': '0000:00000:0000000:0000000:00000000',
      'x-ratelimit-limit': '5000',
      'x-ratelimit-remaining': '4999',
      'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600),
      'x-ratelimit-resource': 'core',
      ...headers,
    });
    res.end(JSON.stringify(body));
  }
}

function labelNames(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  return value.map((l) => (typeof l === 'string' ? l : String((l as { name?: string }).name)));
}
