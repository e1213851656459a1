import type { AppConfig } from '../../src/config/config.schema';
import type { Project, TrackerProvider } from '../../src/modules/projects/entities/project.entity';
import { ProjectsService } from '../../src/modules/projects/projects.service';
import { BuiltinTracker } from '../../src/modules/trackers/builtin/builtin.tracker';
import { MirrorSyncService } from '../../src/modules/trackers/mirror/mirror-sync.service';
import { TrackerRegistry } from '../../src/modules/trackers/tracker-registry';
import { FakeGitHub } from '../fakes/github.server';
import { FakeLinear } from '../fakes/linear.server';
import { createProject } from '../factories/project.factory';
import { createHarness, type Harness, waitFor } from '../support/harness';

const REPO = 'acme/app';
const MINUTE = 60_000;

interface MirrorRow {
  key: string;
  title: string;
  state: string;
  open: boolean;
  labels: string[];
}

describe('Tracker mirror sync', () => {
  const linear = new FakeLinear();
  const github = new FakeGitHub('ghp_fake_token', [REPO]);
  let h: Harness;
  let mirror: MirrorSyncService;

  beforeAll(async () => {
    await Promise.all([linear.start(), github.start()]);
    h = await createHarness();
    // Credentials for both destinations; each project picks one by its trackerProvider.
    const config: AppConfig = {
      ...h.config,
      LINEAR_API_KEY: linear.apiKey,
      LINEAR_TEAM: 'ENG',
      LINEAR_API_URL: linear.url,
      GITHUB_TOKEN: github.token,
      GITHUB_REPO: REPO,
      GITHUB_API_URL: github.url,
    };
    const registry = new TrackerRegistry(new BuiltinTracker(h.db, config), config, h.db);
    mirror = new MirrorSyncService(h.db, registry, new ProjectsService(h.db));
  });

  afterAll(async () => {
    await h?.close();
    await Promise.all([linear.stop(), github.stop()]);
  });

  async function projectOn(provider: TrackerProvider): Promise<Project> {
    const { project } = await createProject(h.db, `Mirror ${provider}`);
    project.trackerProvider = provider;
    return project;
  }

  async function mirrored(project: Project): Promise<Map<string, MirrorRow>> {
    const rows = await h.db.query<MirrorRow[]>(
      `SELECT key, title, state, open, labels FROM tracker_issues WHERE project_id = $1`,
      [project.id],
    );
    return new Map(rows.map((r) => [r.key, r]));
  }

  /** The issue-list requests the fake Linear has answered so far, with their variables. */
  function linearPageRequests(): { after?: string; filter?: Record<string, unknown> }[] {
    return linear.operations
      .filter((o) => o.operationName === 'MirrorIssues')
      .map((o) => o.variables as { after?: string });
  }

  describe('Linear', () => {
    const openStates = ['Triage', 'Backlog', 'Todo', 'In Progress'];
    let team: ReturnType<FakeLinear['addTeam']>;

    beforeAll(() => {
      team = linear.addTeam('ENG', 'Engineering');
      linear.addTeam('OPS', 'Operations');
      const bug = linear.addLabel('bug', team);
      const base = Date.now() - 60 * MINUTE;
      for (let i = 0; i < 120; i++) {
        // Every 10th is done, and every 15th that is not also a 10th cancelled: 16 closed.
        const state = i % 10 === 0 ? 'Done' : i % 15 === 0 ? 'Canceled' : openStates[i % 4];
        linear.seedIssue(team, {
          title: `Issue ${i}`,
          state,
          labels: i % 2 ? [bug] : [],
          updatedAt: new Date(base + i * 1000),
        });
      }
    });

    afterEach(() => {
      expect(linear.validationFailures).toEqual([]);
    });

    it('mirrors all 120 of the team’s issues across three pages of 50, with open flags right', async () => {
      const project = await projectOn('linear');
      // Another team's issue is not this destination's.
      linear.seedIssue(
        linear.teams.find((t) => t.key === 'OPS')!,
        { title: 'Ops only' },
      );
      const before = linearPageRequests().length;

      const outcome = await mirror.sync(project, { pageSize: 50, pauseMs: 0 });

      expect(outcome).toMatchObject({ status: 'completed', pages: 3, issues: 120 });
      expect(linearPageRequests().length - before).toBe(3);
      const rows = await mirrored(project);
      expect(rows.size).toBe(120);
      const closedInFake = linear.issues.filter(
        (i) => i.team === team && ['completed', 'canceled'].includes(i.state.type),
      ).length;
      expect(closedInFake).toBe(16);
      expect([...rows.values()].filter((r) => !r.open)).toHaveLength(closedInFake);
      expect(rows.get('ENG-1')).toMatchObject({ title: 'Issue 0', state: 'Done', open: false });
      expect(rows.get('ENG-16')).toMatchObject({ state: 'Canceled', open: false });
      expect(rows.get('ENG-2')).toMatchObject({ state: 'Backlog', open: true, labels: ['bug'] });
      const state = await mirror.state(project.id, 'linear');
      expect(state).toMatchObject({ status: 'idle', cursor: null });
      expect(state?.watermark).toBeInstanceOf(Date);
    });

    it('resumes after a crash from the stored cursor without reading page 1 again', async () => {
      const project = await projectOn('linear');
      const start = linearPageRequests().length;

      const first = await mirror.sync(project, { pageSize: 50, pauseMs: 0, maxPages: 1 });
      expect(first).toMatchObject({ status: 'partial', pages: 1, issues: 50 });
      expect((await mirrored(project)).size).toBe(50);
      const cursor = (await mirror.state(project.id, 'linear'))?.cursor;
      expect(cursor).toEqual(expect.any(String));

      const second = await mirror.sync(project, { pageSize: 50, pauseMs: 0 });

      expect(second).toMatchObject({ status: 'completed', pages: 2, issues: 70 });
      const requests = linearPageRequests().slice(start);
      expect(requests).toHaveLength(3);
      expect(requests[0].after).toBeUndefined();
      expect(requests[1].after).toBe(cursor);
      expect((await mirrored(project)).size).toBe(120);
    });

    it('stops on a rate limit, records when to resume, and a later run completes', async () => {
      const project = await projectOn('linear');
      await mirror.sync(project, { pageSize: 50, pauseMs: 0, maxPages: 1 });
      linear.fail({ kind: 'ratelimit', retryAfterSeconds: 2 });
      const start = linearPageRequests().length;

      const limited = await mirror.sync(project, { pageSize: 50, pauseMs: 0 });

      expect(limited.status).toBe('rate_limited');
      expect(linearPageRequests().length - start).toBe(1);
      const state = await mirror.state(project.id, 'linear');
      expect(state).toMatchObject({ status: 'rate_limited', cursor: expect.any(String) });
      expect(state!.resumeAfter!.getTime()).toBeGreaterThan(Date.now() + 1000);
      expect(state!.resumeAfter!.getTime()).toBeLessThanOrEqual(Date.now() + 2500);

      // Before the vendor's time is up the sync does not even ask.
      expect(await mirror.sync(project, { pageSize: 50, pauseMs: 0 })).toMatchObject({
        status: 'rate_limited',
        pages: 0,
      });
      expect(linearPageRequests().length - start).toBe(1);

      await new Promise((resolve) =>
        setTimeout(resolve, state!.resumeAfter!.getTime() - Date.now() + 50),
      );
      const resumed = await mirror.sync(project, { pageSize: 50, pauseMs: 0 });

      expect(resumed).toMatchObject({ status: 'completed', pages: 2, issues: 70 });
      expect((await mirrored(project)).size).toBe(120);
      expect(await mirror.state(project.id, 'linear')).toMatchObject({
        status: 'idle',
        resumeAfter: null,
      });
    });

    it('picks up an issue changed after the initial sync in an incremental run', async () => {
      const project = await projectOn('linear');
      await mirror.sync(project, { pageSize: 50, pauseMs: 0 });
      const issue = linear.issues.find((i) => i.identifier === 'ENG-3')!;
      linear.touchIssue(issue, { state: 'Done', title: 'Issue 2 (fixed)' });
      const start = linearPageRequests().length;

      const outcome = await mirror.sync(project, { pageSize: 50, pauseMs: 0 });

      expect(outcome).toMatchObject({ status: 'completed', mode: 'incremental', pages: 1 });
      // Only what changed since the watermark (less the overlap), not all 120 again.
      expect(outcome.issues).toBeLessThan(10);
      const requests = linearPageRequests().slice(start);
      expect(requests[0].filter).toHaveProperty('updatedAt.gte');
      expect((await mirrored(project)).get('ENG-3')).toMatchObject({
        title: 'Issue 2 (fixed)',
        state: 'Done',
        open: false,
      });
    });
  });

  describe('GitHub', () => {
    beforeAll(() => {
      const base = Date.now() - 60 * MINUTE;
      for (let i = 0; i < 130; i++) {
        // Ten of them are pull requests, which GitHub lists among issues.
        github.seedIssue(REPO, {
          title: i % 13 === 0 ? `PR ${i}` : `Issue ${i}`,
          state: i % 4 === 0 ? 'closed' : 'open',
          labels: i % 2 ? ['bug'] : [],
          updatedAt: new Date(base + i * 1000),
          pullRequest: i % 13 === 0,
        });
      }
    });

    function listRequests() {
      return github.requestsTo('GET', /^\/repos\/acme\/app\/issues$/);
    }

    it('follows Link pagination, skips pull requests and resumes from its cursor', async () => {
      const project = await projectOn('github');
      const start = listRequests().length;

      const first = await mirror.sync(project, { pageSize: 50, pauseMs: 0, maxPages: 1 });
      expect(first).toMatchObject({ status: 'partial', pages: 1 });
      const rest = await mirror.sync(project, { pageSize: 50, pauseMs: 0 });
      expect(rest.status).toBe('completed');

      const requests = listRequests().slice(start);
      expect(requests.length).toBe(first.pages + rest.pages);
      expect(requests.length).toBeGreaterThanOrEqual(3);
      for (const r of requests) {
        expect(r.query.get('state')).toBe('all');
        expect(r.query.get('sort')).toBe('updated');
        expect(r.query.get('direction')).toBe('asc');
      }
      // The resumed run starts after page 1, not from the beginning.
      expect(requests[1].query.get('since')).not.toBeNull();
      const rows = await mirrored(project);
      expect(rows.size).toBe(120);
      expect([...rows.keys()].some((k) => rows.get(k)!.title.startsWith('PR'))).toBe(false);
      expect(rows.get(`${REPO}#1`)).toBeUndefined();
      expect(rows.get(`${REPO}#2`)).toMatchObject({ state: 'open', open: true, labels: ['bug'] });
      expect(rows.get(`${REPO}#5`)).toMatchObject({ state: 'closed', open: false });
      expect([...rows.values()].filter((r) => r.open)).toHaveLength(
        github.issues.filter((i) => !i.pullRequest && i.state === 'open').length,
      );
    });

    it('stops on a 429, records when to resume, and then picks up later changes incrementally', async () => {
      const project = await projectOn('github');
      github.failNext(1, { kind: 'rate-limit', status: 429, retryAfterSeconds: 1 });

      const limited = await mirror.sync(project, { pageSize: 50, pauseMs: 0 });
      expect(limited).toMatchObject({ status: 'rate_limited', pages: 0 });
      expect((await mirror.state(project.id, 'github'))?.resumeAfter).toBeInstanceOf(Date);

      await waitFor(
        async () =>
          (await mirror.sync(project, { pageSize: 50, pauseMs: 0 })).status === 'completed',
        { what: 'the sync after the rate limit', intervalMs: 250 },
      );
      expect((await mirrored(project)).size).toBe(120);

      const issue = github.issues.find((i) => i.number === 3)!;
      issue.state = 'closed';
      issue.updatedAt = new Date();
      const start = listRequests().length;

      const incremental = await mirror.sync(project, { pageSize: 50, pauseMs: 0 });

      expect(incremental).toMatchObject({ status: 'completed', mode: 'incremental', pages: 1 });
      expect(listRequests().slice(start)[0].query.get('since')).not.toBeNull();
      expect((await mirrored(project)).get(`${REPO}#3`)).toMatchObject({
        state: 'closed',
        open: false,
      });
    });
  });

  it('never lets an older copy overwrite a newer row', async () => {
    const project = await projectOn('linear');
    await mirror.sync(project, { pageSize: 100, pauseMs: 0 });
    await h.db.query(
      `UPDATE tracker_issues SET title = 'From a webhook', remote_updated_at = now() + interval '1 hour'
       WHERE project_id = $1 AND key = 'ENG-5'`,
      [project.id],
    );
    // A full re-read (as after a lost watermark) brings the older copy again.
    await h.db.query(`UPDATE tracker_sync_state SET watermark = NULL WHERE project_id = $1`, [
      project.id,
    ]);

    await mirror.sync(project, { pageSize: 100, pauseMs: 0 });

    expect((await mirrored(project)).get('ENG-5')?.title).toBe('From a webhook');
  });

  it('lets only one sync of a project run at a time', async () => {
    const project = await projectOn('linear');
    const [a, b] = await Promise.all([
      mirror.sync(project, { pageSize: 50, pauseMs: 100 }),
      mirror.sync(project, { pageSize: 50, pauseMs: 100 }),
    ]);
    expect([a.status, b.status].sort()).toEqual(['busy', 'completed']);
  });

  it('has nothing to mirror for the built-in tracker', async () => {
    const project = await projectOn('builtin');
    expect(await mirror.sync(project)).toMatchObject({ status: 'skipped' });
    expect((await mirrored(project)).size).toBe(0);
  });
});

describe('Tracker mirror sync as a maintenance job', () => {
  const linear = new FakeLinear();
  let h: Harness;

  afterAll(async () => {
    await h?.close();
    await linear.stop();
  });

  it('mirrors the default project’s Linear team from the scheduled job', async () => {
    await linear.start();
    const team = linear.addTeam('ENG', 'Engineering');
    for (let i = 0; i < 3; i++) linear.seedIssue(team, { title: `Scheduled ${i}` });
    h = await createHarness({
      LINEAR_API_KEY: linear.apiKey,
      LINEAR_TEAM: 'ENG',
      LINEAR_API_URL: linear.url,
    });
    // The API creates the default project and points it at Linear; then a worker starts.
    await h.start('api');
    await h.start('worker');

    const rows = await waitFor(
      async () => {
        const found = await h.db.query<{ key: string }[]>(
          `SELECT i.key FROM tracker_issues i JOIN projects p ON p.id = i.project_id
           WHERE p.slug = 'default'`,
        );
        return found.length === 3 && found;
      },
      { what: 'the default project mirrored by the scheduled job' },
    );
    expect(rows.map((r) => r.key).sort()).toEqual(['ENG-1', 'ENG-2', 'ENG-3']);
    expect(linear.validationFailures).toEqual([]);
  });
});
