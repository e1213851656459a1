import { type PolicyOverrides, policySchema } from './policy';
import { Injectable, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, IsNull, Not } from 'typeorm';
import { DomainError, ErrorCode, NotFoundError, ValidationFailedError } from '../../common/errors';
import type { AppConfig } from '../../config/config.schema';
import { InjectConfig } from '../../config/config.module';
import {
  apiKeyPrefix,
  generateApiKey,
  generateWidgetKey,
  hashApiKey,
  hashesEqual,
  normalisePrefix,
} from './api-key';
import { ApiKey } from './entities/api-key.entity';
import {
  type EmailQuestionsTo,
  type EmailUnknownSenders,
  Project,
  type TrackerProvider,
} from './entities/project.entity';
import { ExpiringCache } from '../../common/expiring-cache';

export const DEFAULT_PROJECT_SLUG = 'default';

/** A project's handle: lower-case letters, digits and dashes, 2 to 40, not starting with a dash. */
export const PROJECT_SLUG = /^[a-z0-9][a-z0-9-]{1,39}$/;

/** Non-secret choices about where and how a project's tickets are filed. */
export interface TrackerSettings {
  team?: string;
  labels?: string[];
  state?: string;
  repo?: string;
  assignees?: string[];
}

export interface IssuedKey {
  project: Project;
  key: string;
  prefix: string;
}

@Injectable()
export class ProjectsService {
  /** Verified keys by hash, for API_KEY_CACHE_MS: a revocation is honoured within that time. */
  private readonly verifiedKeys: ExpiringCache<string, Project>;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Optional() @InjectConfig() config?: AppConfig,
  ) {
    this.verifiedKeys = new ExpiringCache(config?.API_KEY_CACHE_MS ?? 0);
  }

  /**
   * Creates the default project on first run and returns its first API key, or null when it
   * already existed. Safe when several processes start at once: one insert wins.
   */
  async ensureDefaultProject(): Promise<IssuedKey | null> {
    const inserted = await this.db
      .createQueryBuilder()
      .insert()
      .into(Project)
      .values({
        name: 'Default project',
        slug: DEFAULT_PROJECT_SLUG,
        widgetKey: generateWidgetKey(),
      })
      .orIgnore()
      .returning('*')
      .execute();
    if ((inserted.raw as unknown[]).length === 0) return null;
    return this.createApiKey(DEFAULT_PROJECT_SLUG, 'first run');
  }

  async createProject(name: string, slug: string): Promise<Project> {
    return this.db.getRepository(Project).save({ name, slug, widgetKey: generateWidgetKey() });
  }

  /**
   * Creates a project with its first API key (shown once) in one transaction: 400 for a slug
   * that breaks PROJECT_SLUG, 409 SLUG_TAKEN when another project has it.
   */
  async createProjectWithKey(name: string, slug: string, label: string): Promise<IssuedKey> {
    if (!PROJECT_SLUG.test(slug)) {
      throw new ValidationFailedError([
        {
          field: 'slug',
          message:
            'must be 2 to 40 lower-case letters, digits or dashes, starting with a letter or digit',
        },
      ]);
    }
    return this.db.transaction(async (tx) => {
      const inserted = await tx
        .createQueryBuilder()
        .insert()
        .into(Project)
        .values({ name, slug, widgetKey: generateWidgetKey() })
        .orIgnore()
        .returning('*')
        .execute();
      if ((inserted.raw as unknown[]).length === 0) {
        throw new DomainError(409, ErrorCode.SlugTaken, `Another project has the slug "${slug}".`, {
          field: 'slug',
        });
      }
      const project = await tx.getRepository(Project).findOneByOrFail({ slug });
      const issued = generateApiKey();
      await tx.getRepository(ApiKey).insert({
        projectId: project.id,
        prefix: issued.prefix,
        keyHash: issued.hash,
        label,
      });
      return { project, key: issued.key, prefix: issued.prefix };
    });
  }

  async findBySlug(slug: string): Promise<Project> {
    const project = await this.db.getRepository(Project).findOneBy({ slug });
    if (!project) {
      const error = new NotFoundError(`Project "${slug}"`);
      if (slug === DEFAULT_PROJECT_SLUG) {
        // The default project appears on the first start (or `repro keys create`), with its key.
        error.message += ' It is created when Repro first starts, or by `repro keys create`.';
      }
      throw error;
    }
    return project;
  }

  /** Every project, oldest first (what an admin reaches). */
  list(): Promise<Project[]> {
    return this.db.getRepository(Project).find({ order: { createdAt: 'ASC' } });
  }

  /** The project with this id; it must exist. */
  byId(id: string): Promise<Project> {
    return this.db.getRepository(Project).findOneByOrFail({ id });
  }

  /** The project created on first run; null before it exists. */
  defaultProject(): Promise<Project | null> {
    return this.db.getRepository(Project).findOneBy({ slug: DEFAULT_PROJECT_SLUG });
  }

  /** Projects whose tracker destination refuses us, with why (for the readiness check). */
  withTrackerErrors(): Promise<Pick<Project, 'slug' | 'trackerProvider' | 'trackerError'>[]> {
    return this.db.getRepository(Project).find({
      where: { trackerError: Not(IsNull()) },
      select: { slug: true, trackerProvider: true, trackerError: true },
    });
  }

  async createApiKey(slug: string, label: string | null = null): Promise<IssuedKey> {
    const project = await this.findBySlug(slug);
    const issued = generateApiKey();
    await this.db.getRepository(ApiKey).insert({
      projectId: project.id,
      prefix: issued.prefix,
      keyHash: issued.hash,
      label,
    });
    return { project, key: issued.key, prefix: issued.prefix };
  }

  /** Revokes the key with this prefix; false when there is no such live key. */
  async revokeApiKey(prefixInput: string): Promise<boolean> {
    const prefix = normalisePrefix(prefixInput);
    if (!prefix) return false;
    const result = await this.db
      .getRepository(ApiKey)
      .update({ prefix, revokedAt: IsNull() }, { revokedAt: () => 'now()' });
    // This process stops accepting it at once; others within API_KEY_CACHE_MS.
    this.verifiedKeys.clear();
    return (result.affected ?? 0) > 0;
  }

  /**
   * Revokes the project's live key with this prefix (another project's key is not found);
   * false when it has no such live key. This process refuses it at once.
   */
  async revokeProjectApiKey(projectId: string, prefixInput: string): Promise<boolean> {
    const prefix = normalisePrefix(prefixInput);
    if (!prefix) return false;
    const result = await this.db
      .getRepository(ApiKey)
      .update({ projectId, prefix, revokedAt: IsNull() }, { revokedAt: () => 'now()' });
    this.verifiedKeys.clear();
    return (result.affected ?? 0) > 0;
  }

  async listApiKeys(slug: string): Promise<ApiKey[]> {
    const project = await this.findBySlug(slug);
    return this.db.getRepository(ApiKey).find({
      where: { projectId: project.id },
      order: { createdAt: 'ASC' },
    });
  }

  /** The default project files where the environment says (LINEAR_* / GITHUB_* or built-in). */
  async syncDefaultTracker(provider: TrackerProvider): Promise<void> {
    await this.db
      .getRepository(Project)
      .createQueryBuilder()
      .update()
      .set({ trackerProvider: provider })
      .where('slug = :slug AND tracker_provider <> :provider', {
        slug: DEFAULT_PROJECT_SLUG,
        provider,
      })
      .execute();
  }

  /**
   * Merges non-secret destination choices into the project's tracker config (undefined leaves a
   * choice as it is, null returns it to the environment's default) and returns the result.
   */
  async updateTrackerConfig(
    slug: string,
    changes: { [K in keyof TrackerSettings]?: TrackerSettings[K] | null },
  ): Promise<TrackerSettings> {
    const project = await this.findBySlug(slug);
    if (
      typeof changes.repo === 'string' &&
      !/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(changes.repo)
    ) {
      throw new ValidationFailedError([{ field: 'repo', message: 'must look like owner/name' }]);
    }
    const defined = Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined));
    const merged = { ...(project.trackerConfig as TrackerSettings), ...defined };
    const settings: Record<string, string | string[]> = Object.fromEntries(
      Object.entries(merged).filter(([, v]) => v !== null && v !== undefined),
    );
    await this.db.getRepository(Project).update({ id: project.id }, { trackerConfig: settings });
    this.forgetProjects();
    return settings;
  }

  /** Sets where a project's tickets go; a change clears the old destination's last refusal. */
  async setTrackerProvider(slug: string, provider: TrackerProvider): Promise<Project> {
    const project = await this.findBySlug(slug);
    if (project.trackerProvider === provider) return project;
    const update = { trackerProvider: provider, trackerError: null, trackerErrorAt: null };
    await this.db.getRepository(Project).update({ id: project.id }, update);
    this.forgetProjects();
    return { ...project, ...update };
  }

  /**
   * Merges changes into the project's agent policy (undefined leaves a setting as it is, null
   * returns it to the operator's default) and returns the project's own settings.
   */
  async updateAgentPolicy(
    slug: string,
    changes: Record<string, unknown>,
  ): Promise<PolicyOverrides> {
    const project = await this.findBySlug(slug);
    const merged: Record<string, unknown> = { ...project.agentPolicy };
    for (const [key, value] of Object.entries(changes)) {
      if (value === null) delete merged[key];
      else if (key === 'questionHints' && isRecord(value) && isRecord(merged[key])) {
        // Hints merge one by one: setting where logs are keeps the version hint.
        merged[key] = withoutUndefined({ ...merged[key], ...withoutUndefined(value) });
      } else if (value !== undefined) merged[key] = value;
    }
    const parsed = policySchema.safeParse(merged);
    if (!parsed.success) {
      throw new ValidationFailedError(
        parsed.error.issues.map((i) => ({
          field: i.path.join('.') || 'policy',
          message: i.message,
        })),
      );
    }
    await this.db.getRepository(Project).update({ id: project.id }, { agentPolicy: parsed.data });
    this.forgetProjects();
    return parsed.data;
  }

  /** The project whose public widget key this is, or null. */
  findByWidgetKey(widgetKey: string): Promise<Project | null> {
    return this.db.getRepository(Project).findOneBy({ widgetKey });
  }

  /**
   * Sets a project's widget settings (undefined leaves one as it is) and returns the project.
   * Origins must already be normalised (scheme, host and port only).
   */
  async updateWidgetSettings(
    slug: string,
    changes: { allowedOrigins?: string[]; showTicketKey?: boolean },
  ): Promise<Project> {
    const project = await this.findBySlug(slug);
    const update: Partial<Pick<Project, 'widgetAllowedOrigins' | 'widgetShowTicketKey'>> = {};
    if (changes.allowedOrigins !== undefined) update.widgetAllowedOrigins = changes.allowedOrigins;
    if (changes.showTicketKey !== undefined) update.widgetShowTicketKey = changes.showTicketKey;
    if (Object.keys(update).length === 0) return project;
    await this.db.getRepository(Project).update({ id: project.id }, update);
    this.forgetProjects();
    return { ...project, ...update };
  }

  /** Sets a project's email settings (undefined leaves one as it is) and returns the project. */
  async updateEmailSettings(
    slug: string,
    changes: {
      staffSenders?: string[];
      unknownSenders?: EmailUnknownSenders;
      domainAccounts?: Record<string, string>;
      questionsTo?: EmailQuestionsTo;
    },
  ): Promise<Project> {
    const project = await this.findBySlug(slug);
    const update: Partial<
      Pick<
        Project,
        'emailStaffSenders' | 'emailUnknownSenders' | 'emailDomainAccounts' | 'emailQuestionsTo'
      >
    > = {};
    if (changes.staffSenders !== undefined) update.emailStaffSenders = changes.staffSenders;
    if (changes.unknownSenders !== undefined) update.emailUnknownSenders = changes.unknownSenders;
    if (changes.domainAccounts !== undefined) update.emailDomainAccounts = changes.domainAccounts;
    if (changes.questionsTo !== undefined) update.emailQuestionsTo = changes.questionsTo;
    if (Object.keys(update).length === 0) return project;
    await this.db.getRepository(Project).update({ id: project.id }, update);
    this.forgetProjects();
    return { ...project, ...update };
  }

  /**
   * The project with this slug and its inbound-mail webhook secrets (loaded only here), or null
   * when there is no such project.
   */
  findWithEmailWebhookSecrets(slug: string): Promise<Project | null> {
    return this.db
      .getRepository(Project)
      .createQueryBuilder('project')
      .addSelect([
        'project.emailPostmarkPasswordHash',
        'project.emailSendgridPasswordHash',
        'project.emailMailgunSigningKey',
        'project.emailSendgridPublicKey',
      ])
      .where('project.slug = :slug', { slug })
      .getOne();
  }

  /**
   * Sets a project's inbound-mail webhook secrets (undefined leaves one as it is, null turns that
   * provider off) and returns the project with them.
   */
  async updateEmailWebhookSecrets(
    slug: string,
    changes: {
      postmarkPasswordHash?: string | null;
      sendgridPasswordHash?: string | null;
      mailgunSigningKey?: string | null;
      sendgridPublicKey?: string | null;
    },
  ): Promise<Project> {
    await this.findBySlug(slug);
    const update: Partial<
      Pick<
        Project,
        | 'emailPostmarkPasswordHash'
        | 'emailSendgridPasswordHash'
        | 'emailMailgunSigningKey'
        | 'emailSendgridPublicKey'
      >
    > = {};
    if (changes.postmarkPasswordHash !== undefined) {
      update.emailPostmarkPasswordHash = changes.postmarkPasswordHash;
    }
    if (changes.sendgridPasswordHash !== undefined) {
      update.emailSendgridPasswordHash = changes.sendgridPasswordHash;
    }
    if (changes.mailgunSigningKey !== undefined) {
      update.emailMailgunSigningKey = changes.mailgunSigningKey;
    }
    if (changes.sendgridPublicKey !== undefined) {
      update.emailSendgridPublicKey = changes.sendgridPublicKey;
    }
    if (Object.keys(update).length > 0) {
      await this.db.getRepository(Project).update({ slug }, update);
    }
    return (await this.findWithEmailWebhookSecrets(slug))!;
  }

  /**
   * Gives the project a new widget key and returns the project with it. The old key is refused
   * from then on (within API_KEY_CACHE_MS in running processes): no grace period.
   */
  async rotateWidgetKey(slug: string): Promise<Project> {
    const project = await this.findBySlug(slug);
    const widgetKey = generateWidgetKey();
    await this.db.getRepository(Project).update({ id: project.id }, { widgetKey });
    this.forgetProjects();
    return { ...project, widgetKey };
  }

  /**
   * Verified keys carry their project as it was read: after a change to a project, this process
   * reads it afresh (others within API_KEY_CACHE_MS).
   */
  private forgetProjects(): void {
    this.verifiedKeys.clear();
  }

  /** Marks the project's tracker destination as refusing us (null clears it). */
  async setTrackerError(projectId: string, error: string | null): Promise<void> {
    await this.db
      .getRepository(Project)
      .update(
        { id: projectId },
        { trackerError: error, trackerErrorAt: error ? new Date() : null },
      );
  }

  /**
   * The project a live API key belongs to, or null. A verified key is remembered for
   * API_KEY_CACHE_MS (by its hash), so intake does not look it up on every request; a refused
   * one is looked up again every time, so a new key works at once.
   */
  async authenticate(key: string): Promise<Project | null> {
    const prefix = apiKeyPrefix(key);
    if (!prefix) return null;
    const hash = hashApiKey(key);
    const cached = this.verifiedKeys.get(hash);
    if (cached) return cached;
    const row = await this.db.getRepository(ApiKey).findOne({
      where: { prefix, revokedAt: IsNull() },
      relations: { project: true },
    });
    if (!row?.project || !hashesEqual(row.keyHash, hash)) {
      this.verifiedKeys.delete(hash);
      return null;
    }
    this.verifiedKeys.set(hash, row.project);
    this.noteUse(row.id);
    return row.project;
  }

  /**
   * Records that a key was used, at most once a minute per key (and once per API_KEY_CACHE_MS
   * per process, since remembered keys are not looked up). A failure here never fails the
   * request: the time is for people deciding which key to revoke, not for security.
   */
  private noteUse(keyId: string): void {
    this.db
      .query(
        `UPDATE api_keys SET last_used_at = now()
          WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`,
        [keyId],
      )
      .catch(() => undefined);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function withoutUndefined(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));
}
