import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  buildSchema,
  graphql,
  GraphQLEnumType,
  GraphQLError,
  GraphQLList,
  GraphQLNonNull,
  GraphQLScalarType,
  Kind,
  parse,
  validate,
  type GraphQLFieldResolver,
  type GraphQLOutputType,
  type GraphQLSchema,
} from 'graphql';
import { fixturePath } from '../support/fixtures';

/** Linear's public schema for the pinned `@linear/sdk` (test/fixtures/SOURCES.md). */
const SCHEMA_PATH = fixturePath('linear', 'schema.graphql');

// Parsing 1.2 MB of SDL takes a moment: once per test process.
let schemaOnce: GraphQLSchema | undefined;
function linearSchema(): GraphQLSchema {
  schemaOnce ??= buildSchema(readFileSync(SCHEMA_PATH, 'utf8'));
  return schemaOnce;
}

export interface RecordedOperation {
  operationName: string | null;
  variables: Record<string, unknown>;
  authorization: string | undefined;
  status: number;
  /** Validation messages when the operation did not match Linear's schema. */
  validationErrors: string[];
}

export type Fault =
  | { kind: 'ratelimit'; retryAfterSeconds?: number; resetAtMs?: number }
  | { kind: 'server-error' }
  | { kind: 'unauthorized' }
  | { kind: 'hang' };

type Row = Record<string, unknown> & { id: string };

interface Team extends Row {
  key: string;
  name: string;
  issueCount: number;
}
interface State extends Row {
  name: string;
  type: string;
  team: Team;
}
interface Label extends Row {
  name: string;
  team: Team | null;
  isGroup: boolean;
}
interface Issue extends Row {
  identifier: string;
  number: number;
  title: string;
  description: string | null;
  url: string;
  priority: number;
  team: Team;
  state: State;
  labelIds: string[];
  /** ISO time of the last change; seeded and touched issues have one (mirror sync tests). */
  updatedAt?: string;
}
interface Attachment extends Row {
  url: string;
  title: string;
  issueId: string;
}
interface Customer extends Row {
  name: string;
  externalIds: string[];
  domains: string[];
  revenue: number | null;
  tierName: string | null;
}
interface Need extends Row {
  body: string | null;
  issueId: string | null;
  customerId: string;
}
interface Comment extends Row {
  body: string;
  issueId: string;
}

type Filter = Record<string, unknown>;

function inputError(message: string): GraphQLError {
  // Linear's shape for a bad argument: the SDK maps extensions.type to InvalidInputLinearError.
  return new GraphQLError(message, {
    extensions: {
      type: 'invalid input',
      code: 'INPUT_ERROR',
      userError: true,
      userPresentableMessage: message,
    },
  });
}

/** Linear comparators (`eq`, `in`, `contains`, ...) and nested filters, enough for our queries. */
function matches(value: unknown, filter: Filter | undefined): boolean {
  if (!filter) return true;
  return Object.entries(filter).every(([op, expected]) => {
    if (expected === undefined || expected === null) return true;
    const text = typeof value === 'string' ? value : '';
    const wanted = typeof expected === 'string' ? expected : '';
    switch (op) {
      case 'and':
        return (expected as Filter[]).every((f) => matches(value, f));
      case 'or':
        return (expected as Filter[]).some((f) => matches(value, f));
      case 'eq':
        return value === expected;
      case 'neq':
        return value !== expected;
      case 'in':
        return (expected as unknown[]).includes(value);
      case 'nin':
        return !(expected as unknown[]).includes(value);
      case 'eqIgnoreCase':
        return text.toLowerCase() === wanted.toLowerCase();
      case 'contains':
        return text.includes(wanted);
      case 'containsIgnoreCase':
        return text.toLowerCase().includes(wanted.toLowerCase());
      case 'startsWith':
        return text.startsWith(wanted);
      case 'null':
        return (value === null || value === undefined) === expected;
      case 'gt':
        return typeof value === 'string' && Date.parse(value) > Date.parse(wanted);
      case 'gte':
        return typeof value === 'string' && Date.parse(value) >= Date.parse(wanted);
      default: {
        // A nested field filter, e.g. { team: { key: { eq: "ENG" } } }.
        const inner = value && typeof value === 'object' ? (value as Row)[op] : undefined;
        return matches(inner, expected as Filter);
      }
    }
  });
}

function connection<T>(nodes: T[]): {
  nodes: T[];
  edges: { node: T; cursor: string }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean };
} {
  return {
    nodes,
    edges: nodes.map((node, i) => ({ node, cursor: String(i) })),
    pageInfo: { hasNextPage: false, hasPreviousPage: false },
  };
}

/**
 * A page of a connection the way Linear pages: `first` and `after` (the cursor is the node's
 * id here; Linear's is opaque), with `pageInfo.endCursor` and `hasNextPage`.
 */
function page<T extends { id: string }>(
  nodes: T[],
  args: { first?: number; after?: string },
): ReturnType<typeof connection<T>> & {
  pageInfo: { endCursor: string | null; startCursor: string | null };
} {
  const start = args.after ? nodes.findIndex((n) => n.id === args.after) + 1 : 0;
  if (args.after && start === 0) throw inputError('Invalid cursor');
  const end = args.first ? start + args.first : nodes.length;
  const slice = nodes.slice(start, end);
  return {
    nodes: slice,
    edges: slice.map((node) => ({ node, cursor: node.id })),
    pageInfo: {
      hasNextPage: end < nodes.length,
      hasPreviousPage: start > 0,
      startCursor: slice[0]?.id ?? null,
      endCursor: slice.at(-1)?.id ?? null,
    },
  };
}

/**
 * A Linear GraphQL API: every operation is validated against Linear's published schema
 * (the one `@linear/sdk` 88.3.0 is generated from) and executed with graphql-js against an
 * in-memory workspace, so responses have the schema's shapes. Faults can be scripted.
 */
export class FakeLinear {
  readonly operations: RecordedOperation[] = [];
  readonly teams: Team[] = [];
  readonly states: State[] = [];
  readonly labels: Label[] = [];
  readonly issues: Issue[] = [];
  readonly attachments: Attachment[] = [];
  readonly customers: Customer[] = [];
  readonly needs: Need[] = [];
  readonly comments: Comment[] = [];
  private faults: { fault: Fault; operationName?: string }[] = [];
  private server?: Server;
  private port = 0;
  private readonly hung = new Set<ServerResponse>();
  private held: { operationName: string; arrived: () => void } | null = null;

  constructor(readonly apiKey = 'lin_api_test_key') {}

  get url(): string {
    return `http://127.0.0.1:${this.port}/graphql`;
  }

  /** Operations that did not validate against the schema. */
  get validationFailures(): RecordedOperation[] {
    return this.operations.filter((o) => o.validationErrors.length > 0);
  }

  async start(): Promise<void> {
    linearSchema();
    this.server = createServer((req, res) => {
      void this.handle(req, res).catch((error: unknown) => {
        res.writeHead(500, { 'Content-Type': 'text/plain' });
        res.end(String(error));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    for (const res of this.hung) res.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  /**
   * The next operation named `operationName` is held: never answered (until stop), so a test
   * can kill its caller in exactly that window. Resolves when it arrives.
   */
  hold(operationName: string): Promise<void> {
    return new Promise((resolve) => {
      this.held = { operationName, arrived: resolve };
    });
  }

  /** The next `times` requests fail this way, then the server answers normally again. */
  fail(fault: Fault, times = 1, operationName?: string): void {
    for (let i = 0; i < times; i++) this.faults.push({ fault, operationName });
  }

  addTeam(key: string, name = key): Team {
    const team: Team = { id: randomUUID(), key, name, issueCount: 0 };
    this.teams.push(team);
    for (const [name, type] of [
      ['Triage', 'triage'],
      ['Backlog', 'backlog'],
      ['Todo', 'unstarted'],
      ['In Progress', 'started'],
      ['Done', 'completed'],
      ['Canceled', 'canceled'],
    ]) {
      this.states.push({ id: randomUUID(), name, type, team });
    }
    return team;
  }

  addLabel(name: string, team: Team | null = null): Label {
    const label: Label = { id: randomUUID(), name, team, isGroup: false };
    this.labels.push(label);
    return label;
  }

  /** Puts an issue straight into the workspace, in the team's state of that name. */
  seedIssue(
    team: Team,
    input: { title: string; state?: string; labels?: Label[]; updatedAt?: Date },
  ): Issue {
    const state = this.states.find((s) => s.team === team && s.name === (input.state ?? 'Todo'));
    if (!state) throw new Error(`No state ${input.state} in ${team.key}`);
    const number = ++team.issueCount;
    const identifier = `${team.key}-${number}`;
    const issue: Issue = {
      id: randomUUID(),
      identifier,
      number,
      title: input.title,
      description: `About ${input.title}`,
      url: `https://linear.app/acme/issue/${identifier.toLowerCase()}`,
      priority: 0,
      team,
      state,
      labelIds: (input.labels ?? []).map((l) => l.id),
      updatedAt: (input.updatedAt ?? new Date()).toISOString(),
    };
    this.issues.push(issue);
    return issue;
  }

  /** Changes an issue as a person in Linear would: a new state and/or title, updatedAt now. */
  touchIssue(issue: Issue, change: { state?: string; title?: string }, at = new Date()): void {
    if (change.state) {
      const state = this.states.find((s) => s.team === issue.team && s.name === change.state);
      if (!state) throw new Error(`No state ${change.state}`);
      issue.state = state;
    }
    if (change.title) issue.title = change.title;
    issue.updatedAt = at.toISOString();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    let body: { query?: string; variables?: Record<string, unknown>; operationName?: string };
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof body;
    } catch {
      return this.send(res, 400, { errors: [{ message: 'Body is not JSON' }] });
    }
    const op: RecordedOperation = {
      operationName: body.operationName ?? null,
      variables: body.variables ?? {},
      authorization: req.headers.authorization,
      status: 200,
      validationErrors: [],
    };
    this.operations.push(op);

    let document;
    try {
      document = parse(body.query ?? '');
    } catch (error) {
      op.validationErrors = [(error as Error).message];
      return this.reply(res, op, 400, { errors: [{ message: (error as Error).message }] });
    }
    const definition = document.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION);
    op.operationName ??= definition?.name?.value ?? null;
    const invalid = validate(linearSchema(), document);
    if (invalid.length > 0) {
      op.validationErrors = invalid.map((e) => e.message);
      return this.reply(res, op, 400, {
        errors: invalid.map((e) => ({
          ...e.toJSON(),
          extensions: { type: 'graphql error', code: 'GRAPHQL_VALIDATION_FAILED' },
        })),
      });
    }

    if (this.held?.operationName === op.operationName) {
      this.hung.add(res);
      this.held.arrived();
      this.held = null;
      return;
    }
    // A fault aimed at one operation waits for it (other callers, e.g. a mirror sync, pass by).
    const index = this.faults.findIndex(
      (f) => !f.operationName || f.operationName === op.operationName,
    );
    if (index >= 0) return this.answerFault(res, op, this.faults.splice(index, 1)[0].fault);
    if (req.headers.authorization !== this.apiKey) return this.unauthorized(res, op);

    const result = await graphql({
      schema: linearSchema(),
      source: body.query ?? '',
      variableValues: body.variables,
      operationName: body.operationName,
      rootValue: this.root(),
      fieldResolver: fill,
    });
    // Linear answers 200 with `errors` for resolver errors (user errors, not-found, ...).
    return this.reply(res, op, 200, result);
  }

  private answerFault(res: ServerResponse, op: RecordedOperation, fault: Fault): void {
    switch (fault.kind) {
      case 'ratelimit': {
        const headers: Record<string, string> = {
          'X-RateLimit-Requests-Limit': '1500',
          'X-RateLimit-Requests-Remaining': '0',
          'X-RateLimit-Requests-Reset': String(fault.resetAtMs ?? Date.now() + 60_000),
        };
        if (fault.retryAfterSeconds !== undefined) {
          headers['Retry-After'] = String(fault.retryAfterSeconds);
        }
        return this.reply(
          res,
          op,
          429,
          {
            errors: [
              {
                message: 'Rate limit exceeded',
                extensions: {
                  type: 'ratelimited',
                  code: 'RATELIMITED',
                  userPresentableMessage: 'Rate limit exceeded. Try again later.',
                },
              },
            ],
          },
          headers,
        );
      }
      case 'server-error':
        return this.reply(res, op, 500, {
          errors: [
            {
              message: 'Internal server error',
              extensions: { type: 'internal error', code: 'INTERNAL_SERVER_ERROR' },
            },
          ],
        });
      case 'unauthorized':
        return this.unauthorized(res, op);
      case 'hang':
        // Never answers: the client must give up on its own.
        this.hung.add(res);
        return;
    }
  }

  private unauthorized(res: ServerResponse, op: RecordedOperation): void {
    // What api.linear.app answers for a missing or revoked key.
    this.reply(res, op, 400, {
      errors: [
        {
          message: 'Authentication required, not authenticated',
          extensions: {
            type: 'authentication error',
            code: 'AUTHENTICATION_ERROR',
            userError: true,
            userPresentableMessage:
              'You need to authenticate to access this operation. Please provide a valid API key.',
          },
        },
      ],
    });
  }

  private reply(
    res: ServerResponse,
    op: RecordedOperation,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): void {
    op.status = status;
    this.send(res, status, body, headers);
  }

  private send(
    res: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): void {
    res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', ...headers });
    res.end(JSON.stringify(body));
  }

  // ---- the workspace, as GraphQL objects ----

  private teamView(team: Team): Record<string, unknown> {
    return {
      ...team,
      states: (args: { filter?: Filter }) =>
        connection(
          this.states
            .filter((s) => s.team === team && matches(s, args.filter))
            .map((s) => this.stateView(s)),
        ),
      labels: (args: { filter?: Filter }) =>
        connection(
          this.labels
            .filter((l) => (l.team === null || l.team === team) && matches(l, args.filter))
            .map((l) => this.labelView(l)),
        ),
    };
  }

  private stateView(state: State): Record<string, unknown> {
    return { ...state, team: this.teamView(state.team) };
  }

  private labelView(label: Label): Record<string, unknown> {
    return { ...label, team: label.team ? this.teamView(label.team) : null };
  }

  private issueView(issue: Issue): Record<string, unknown> {
    return {
      ...issue,
      team: this.teamView(issue.team),
      state: this.stateView(issue.state),
      labels: () =>
        connection(
          this.labels.filter((l) => issue.labelIds.includes(l.id)).map((l) => this.labelView(l)),
        ),
      attachments: () =>
        connection(
          this.attachments.filter((a) => a.issueId === issue.id).map((a) => this.attachmentView(a)),
        ),
      comments: () =>
        connection(
          this.comments.filter((c) => c.issueId === issue.id).map((c) => this.commentView(c)),
        ),
    };
  }

  private attachmentView(attachment: Attachment): Record<string, unknown> {
    return { ...attachment, issue: () => this.issueView(this.findIssue(attachment.issueId)) };
  }

  private customerView(customer: Customer): Record<string, unknown> {
    return {
      ...customer,
      tier: customer.tierName
        ? {
            id: `tier-${customer.tierName}`,
            name: customer.tierName,
            displayName: customer.tierName,
          }
        : null,
      needs: () =>
        this.needs.filter((n) => n.customerId === customer.id).map((n) => this.needView(n)),
    };
  }

  private needView(need: Need): Record<string, unknown> {
    return {
      ...need,
      issue: need.issueId ? this.issueView(this.findIssue(need.issueId)) : null,
      customer: this.customerView(this.customers.find((c) => c.id === need.customerId)!),
    };
  }

  private commentView(comment: Comment): Record<string, unknown> {
    return { ...comment, issue: this.issueView(this.findIssue(comment.issueId)) };
  }

  private findTeam(idOrKey: string): Team {
    const team = this.teams.find((t) => t.id === idOrKey || t.key === idOrKey);
    if (!team) throw inputError('Entity not found: Team');
    return team;
  }

  private findIssue(idOrIdentifier: string): Issue {
    const issue = this.issues.find(
      (i) => i.id === idOrIdentifier || i.identifier === idOrIdentifier,
    );
    if (!issue) throw inputError('Entity not found: Issue');
    return issue;
  }

  private root(): Record<string, unknown> {
    const issueFilterView = (issue: Issue): Record<string, unknown> => ({
      ...issue,
      labels: this.labels.filter((l) => issue.labelIds.includes(l.id)),
    });
    return {
      // Queries
      teams: (args: { filter?: Filter }) =>
        connection(this.teams.filter((t) => matches(t, args.filter)).map((t) => this.teamView(t))),
      team: (args: { id: string }) => this.teamView(this.findTeam(args.id)),
      workflowStates: (args: { filter?: Filter }) =>
        connection(
          this.states.filter((s) => matches(s, args.filter)).map((s) => this.stateView(s)),
        ),
      workflowState: (args: { id: string }) => {
        const state = this.states.find((s) => s.id === args.id);
        if (!state) throw inputError('Entity not found: WorkflowState');
        return this.stateView(state);
      },
      issueLabels: (args: { filter?: Filter }) =>
        connection(
          this.labels.filter((l) => matches(l, args.filter)).map((l) => this.labelView(l)),
        ),
      issueLabel: (args: { id: string }) => {
        const label = this.labels.find((l) => l.id === args.id);
        if (!label) throw inputError('Entity not found: IssueLabel');
        return this.labelView(label);
      },
      issues: (args: { filter?: Filter; first?: number; after?: string; orderBy?: string }) => {
        const found = this.issues.filter((i) => matches(issueFilterView(i), args.filter));
        // Ordered by last change, most recent first, then by id so that pages are stable.
        if (args.orderBy === 'updatedAt') {
          found.sort(
            (a, b) =>
              Date.parse(b.updatedAt ?? NOW) - Date.parse(a.updatedAt ?? NOW) ||
              a.id.localeCompare(b.id),
          );
        }
        return page(
          found.map((i) => this.issueView(i) as Row),
          args,
        );
      },
      issue: (args: { id: string }) => this.issueView(this.findIssue(args.id)),
      attachment: (args: { id: string }) => {
        const attachment = this.attachments.find((a) => a.id === args.id);
        if (!attachment) throw inputError('Entity not found: Attachment');
        return this.attachmentView(attachment);
      },
      attachmentsForURL: (args: { url: string }) =>
        connection(
          this.attachments.filter((a) => a.url === args.url).map((a) => this.attachmentView(a)),
        ),
      customer: (args: { id: string }) => {
        const customer = this.customers.find(
          (c) => c.id === args.id || c.externalIds.includes(args.id),
        );
        if (!customer) throw inputError('Entity not found: Customer');
        return this.customerView(customer);
      },
      customerNeed: (args: { id: string }) => {
        const need = this.needs.find((n) => n.id === args.id);
        if (!need) throw inputError('Entity not found: CustomerNeed');
        return this.needView(need);
      },
      customerNeeds: (args: { filter?: Filter }) =>
        connection(this.needs.filter((n) => matches(n, args.filter)).map((n) => this.needView(n))),
      comments: (args: { filter?: Filter }) =>
        connection(
          this.comments.filter((c) => matches(c, args.filter)).map((c) => this.commentView(c)),
        ),
      comment: (args: { id: string }) => {
        const comment = this.comments.find((c) => c.id === args.id);
        if (!comment) throw inputError('Entity not found: Comment');
        return this.commentView(comment);
      },

      // Mutations
      issueLabelCreate: (args: { input: { id?: string; name: string; teamId?: string } }) => {
        const team = args.input.teamId ? this.findTeam(args.input.teamId) : null;
        if (
          this.labels.some(
            (l) => l.name.toLowerCase() === args.input.name.toLowerCase() && l.team === team,
          )
        ) {
          throw inputError('Duplicate label name');
        }
        const label = this.addLabel(args.input.name, team);
        if (args.input.id) label.id = args.input.id;
        return { success: true, lastSyncId: 1, issueLabel: this.labelView(label) };
      },
      issueCreate: (args: {
        input: {
          id?: string;
          teamId: string;
          title?: string;
          description?: string;
          labelIds?: string[];
          priority?: number;
          stateId?: string;
        };
      }) => {
        const { input } = args;
        const team = this.findTeam(input.teamId);
        if (input.id && this.issues.some((i) => i.id === input.id)) {
          throw inputError('An issue with this id already exists');
        }
        for (const labelId of input.labelIds ?? []) {
          if (!this.labels.some((l) => l.id === labelId)) throw inputError('Label not found');
        }
        const state = input.stateId
          ? this.states.find((s) => s.id === input.stateId && s.team === team)
          : this.states.find((s) => s.team === team && s.type === 'triage');
        if (!state) throw inputError('Workflow state not found in team');
        const number = ++team.issueCount;
        const identifier = `${team.key}-${number}`;
        const issue: Issue = {
          id: input.id ?? randomUUID(),
          identifier,
          number,
          title: input.title ?? '',
          description: input.description ?? null,
          url: `https://linear.app/acme/issue/${identifier.toLowerCase()}`,
          priority: input.priority ?? 0,
          team,
          state,
          labelIds: input.labelIds ?? [],
        };
        this.issues.push(issue);
        return { success: true, lastSyncId: 1, issue: this.issueView(issue) };
      },
      issueUpdate: (args: {
        id: string;
        input: { title?: string; description?: string; priority?: number; labelIds?: string[] };
      }) => {
        const issue = this.findIssue(args.id);
        const { input } = args;
        if (input.priority !== undefined) {
          if (!Number.isInteger(input.priority) || input.priority < 0 || input.priority > 4) {
            throw inputError('priority must be an integer from 0 to 4');
          }
          issue.priority = input.priority;
        }
        if (input.title !== undefined) issue.title = input.title;
        if (input.description !== undefined) issue.description = input.description;
        if (input.labelIds !== undefined) issue.labelIds = input.labelIds;
        issue.updatedAt = new Date().toISOString();
        return { success: true, lastSyncId: 1, issue: this.issueView(issue) };
      },
      attachmentLinkURL: (args: { issueId: string; url: string; title?: string; id?: string }) =>
        this.upsertAttachment({ ...args, title: args.title ?? args.url }),
      attachmentCreate: (args: {
        input: { issueId: string; url: string; title: string; id?: string };
      }) => this.upsertAttachment(args.input),
      customerUpsert: (args: {
        input: {
          id?: string;
          externalId?: string;
          name?: string;
          domains?: string[];
          revenue?: number;
          tierName?: string;
        };
      }) => {
        const { input } = args;
        let customer = this.customers.find(
          (c) =>
            (input.id && c.id === input.id) ||
            (input.externalId && c.externalIds.includes(input.externalId)),
        );
        if (!customer) {
          if (!input.name) throw inputError('A new customer needs a name');
          customer = {
            id: input.id ?? randomUUID(),
            name: input.name,
            externalIds: input.externalId ? [input.externalId] : [],
            domains: [],
            revenue: null,
            tierName: null,
          };
          this.customers.push(customer);
        }
        if (input.name !== undefined) customer.name = input.name;
        if (input.domains !== undefined) customer.domains = input.domains;
        if (input.revenue !== undefined) customer.revenue = input.revenue;
        if (input.tierName !== undefined) customer.tierName = input.tierName;
        return { success: true, lastSyncId: 1, customer: this.customerView(customer) };
      },
      customerNeedCreate: (args: {
        input: {
          id?: string;
          customerId?: string;
          customerExternalId?: string;
          issueId?: string;
          body?: string;
        };
      }) => {
        const { input } = args;
        const customer = this.customers.find(
          (c) =>
            c.id === input.customerId ||
            (input.customerExternalId && c.externalIds.includes(input.customerExternalId)),
        );
        if (!customer) throw inputError('Entity not found: Customer');
        if (input.id && this.needs.some((n) => n.id === input.id)) {
          throw inputError('A customer need with this id already exists');
        }
        const issueId = input.issueId ? this.findIssue(input.issueId).id : null;
        const need: Need = {
          id: input.id ?? randomUUID(),
          body: input.body ?? null,
          issueId,
          customerId: customer.id,
        };
        this.needs.push(need);
        return { success: true, lastSyncId: 1, need: this.needView(need) };
      },
      commentCreate: (args: { input: { id?: string; issueId?: string; body?: string } }) => {
        const { input } = args;
        if (!input.issueId) throw inputError('A comment needs an issue');
        if (input.id && this.comments.some((c) => c.id === input.id)) {
          throw inputError('A comment with this id already exists');
        }
        const comment: Comment = {
          id: input.id ?? randomUUID(),
          issueId: this.findIssue(input.issueId).id,
          body: input.body ?? '',
        };
        this.comments.push(comment);
        return { success: true, lastSyncId: 1, comment: this.commentView(comment) };
      },
    };
  }

  private upsertAttachment(input: {
    issueId: string;
    url: string;
    title: string;
    id?: string;
  }): Record<string, unknown> {
    const issue = this.findIssue(input.issueId);
    // Linear keeps one attachment per (issue, url): linking again updates it.
    let attachment = this.attachments.find((a) => a.issueId === issue.id && a.url === input.url);
    if (attachment) {
      attachment.title = input.title;
    } else {
      attachment = {
        id: input.id ?? randomUUID(),
        issueId: issue.id,
        url: input.url,
        title: input.title,
      };
      this.attachments.push(attachment);
    }
    return { success: true, lastSyncId: 1, attachment: this.attachmentView(attachment) };
  }
}

const NOW = new Date().toISOString();

/**
 * Reads the field from the in-memory object; a field the store does not model gets a
 * type-correct placeholder so the schema's non-null fields (createdAt, sortOrder, ...)
 * resolve like Linear's would.
 */
const fill: GraphQLFieldResolver<unknown, unknown> = (source, args, context, info) => {
  const value = (source as Record<string, unknown> | null)?.[info.fieldName];
  if (typeof value === 'function') {
    return (value as (a: unknown, c: unknown, i: unknown) => unknown)(args, context, info);
  }
  if (value !== undefined && value !== null) return value;
  return placeholder(info.returnType, info.fieldName);
};

function placeholder(type: GraphQLOutputType, fieldName: string): unknown {
  if (!(type instanceof GraphQLNonNull)) return null;
  const inner = type.ofType;
  if (inner instanceof GraphQLList) return [];
  if (inner instanceof GraphQLEnumType) return inner.getValues()[0]?.value;
  if (inner instanceof GraphQLScalarType) {
    switch (inner.name) {
      case 'ID':
        return randomUUID();
      case 'String':
        return fieldName === 'id' ? randomUUID() : '';
      case 'Int':
      case 'Float':
        return 0;
      case 'Boolean':
        return false;
      case 'DateTime':
        return NOW;
      case 'TimelessDate':
        return NOW.slice(0, 10);
      default:
        return {};
    }
  }
  // A non-null object the store does not model: an empty one, filled field by field.
  return {};
}
