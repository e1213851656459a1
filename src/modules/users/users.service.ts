import { Injectable, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In } from 'typeorm';
import { NotFoundError, ValidationFailedError } from '../../common/errors';
import type { AppConfig } from '../../config/config.schema';
import { InjectConfig } from '../../config/config.module';
import {
  type Person,
  type PersonRole,
  type PersonSession,
  SessionAuthenticator,
} from '../projects/current-project';
import type { Project } from '../projects/entities/project.entity';
import { ProjectsService } from '../projects/projects.service';
import { ProjectMember } from './entities/project-member.entity';
import { User } from './entities/user.entity';
import { UserSession } from './entities/user-session.entity';
import {
  generatePassword,
  generateToken,
  hashPassword,
  hashToken,
  MAX_PASSWORD_LENGTH,
  MIN_PASSWORD_LENGTH,
  normaliseEmail,
  verifyPassword,
} from './password';
import { type PeopleSettings, peopleSettings } from './people-settings';

/** A session's last_seen_at is written at most this often (not on every request). */
const TOUCH_EVERY_MS = 60_000;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export interface NewUser {
  email: string;
  name?: string | null;
  role: PersonRole;
  /** Chosen by the person (--password-stdin); generated when absent. */
  password?: string;
  /** Slugs of the projects a member may reach (admins reach all). */
  projects?: string[];
}

export interface ProjectRef {
  id: string;
  slug: string;
  name: string;
}

export interface UserView {
  id: string;
  email: string;
  name: string | null;
  role: PersonRole;
  createdAt: string;
  disabled: boolean;
  projects: ProjectRef[];
}

export interface SignedIn {
  /** The cookie's value: shown to the browser once, stored only as its hash. */
  token: string;
  session: PersonSession;
}

/** People, their projects and their sessions. */
@Injectable()
export class UsersService implements SessionAuthenticator {
  readonly settings: PeopleSettings;
  /** A hash to check unknown emails' passwords against, so they take as long as known ones. */
  private dummyHash: Promise<string> | undefined;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly projects: ProjectsService,
    @Optional() @InjectConfig() config?: AppConfig,
  ) {
    this.settings = peopleSettings(config);
  }

  countUsers(): Promise<number> {
    return this.db.getRepository(User).count();
  }

  /**
   * Creates a person and returns them with their password when it was generated here (shown
   * once, never stored but as its argon2id hash).
   */
  async createUser(input: NewUser): Promise<{ user: UserView; password: string | null }> {
    const email = normaliseEmail(input.email);
    const problems = [];
    if (!EMAIL.test(email) || email.length > 320) {
      problems.push({ field: 'email', message: 'must be an email address' });
    }
    if (input.password !== undefined && input.password.length < MIN_PASSWORD_LENGTH) {
      problems.push({
        field: 'password',
        message: `must be at least ${MIN_PASSWORD_LENGTH} characters`,
      });
    }
    if (input.password !== undefined && input.password.length > MAX_PASSWORD_LENGTH) {
      problems.push({
        field: 'password',
        message: `must be at most ${MAX_PASSWORD_LENGTH} characters`,
      });
    }
    const projects: Project[] = [];
    for (const slug of new Set(input.projects ?? [])) {
      try {
        projects.push(await this.projects.findBySlug(slug));
      } catch (error) {
        if (!(error instanceof NotFoundError)) throw error;
        problems.push({ field: 'projects', message: `no project "${slug}"` });
      }
    }
    if (problems.length) throw new ValidationFailedError(problems);
    const generated = input.password === undefined ? generatePassword() : null;
    const passwordHash = await hashPassword(input.password ?? generated!);
    const id = await this.db.transaction(async (tx) => {
      const inserted = await tx
        .createQueryBuilder()
        .insert()
        .into(User)
        .values({ email, name: input.name?.trim() || null, role: input.role, passwordHash })
        .orIgnore()
        .returning(['id'])
        .execute();
      const row = (inserted.raw as { id: string }[])[0];
      if (!row) {
        throw new ValidationFailedError([
          { field: 'email', message: 'someone with this email exists already' },
        ]);
      }
      if (projects.length) {
        await tx
          .getRepository(ProjectMember)
          .insert(projects.map((p) => ({ projectId: p.id, userId: row.id })));
      }
      return row.id;
    });
    const [user] = await this.views([await this.db.getRepository(User).findOneByOrFail({ id })]);
    return { user, password: generated };
  }

  /** Everyone (or, for a project's API key, the people who reach that project), with projects. */
  async list(projectId?: string): Promise<UserView[]> {
    let users = await this.db.getRepository(User).find({ order: { createdAt: 'ASC' } });
    if (projectId) {
      const members = await this.db.getRepository(ProjectMember).findBy({ projectId });
      const ids = new Set(members.map((m) => m.userId));
      users = users.filter((u) => u.role === 'admin' || ids.has(u.id));
    }
    const views = await this.views(users);
    if (!projectId) return views;
    // A project's key sees that project only, not where else its people work.
    return views.map((v) => ({ ...v, projects: v.projects.filter((p) => p.id === projectId) }));
  }

  /**
   * Checks an email and password and opens a session, or returns null (an unknown email, a
   * wrong password and a disabled person alike, in about the same time).
   */
  async signIn(
    emailInput: string,
    password: string,
    userAgent: string | undefined,
  ): Promise<SignedIn | null> {
    const email = normaliseEmail(emailInput);
    const user = await this.db
      .getRepository(User)
      .createQueryBuilder('user')
      .addSelect('user.passwordHash')
      .where('user.email = :email', { email })
      .getOne();
    if (!user) {
      this.dummyHash ??= hashPassword(generatePassword());
      await verifyPassword(await this.dummyHash, password);
      return null;
    }
    const matches = await verifyPassword(user.passwordHash, password);
    if (!matches || user.disabledAt) return null;
    const token = generateToken();
    const now = new Date();
    const expiresAt = new Date(now.getTime() + this.settings.maxHours * 3_600_000);
    const row = await this.db.getRepository(UserSession).save({
      tokenHash: hashToken(token),
      userId: user.id,
      csrfToken: generateToken(),
      lastSeenAt: now,
      expiresAt,
      userAgent: userAgent?.slice(0, 500) ?? null,
    });
    return {
      token,
      session: {
        id: row.id,
        csrfToken: row.csrfToken,
        expiresAt,
        person: { id: user.id, email: user.email, role: user.role, name: user.name },
      },
    };
  }

  /** The live session of a cookie token; an ended one (idle, too old, person disabled) is removed. */
  async authenticate(token: string): Promise<PersonSession | null> {
    if (token.length > 200) return null;
    const row = await this.db.getRepository(UserSession).findOne({
      where: { tokenHash: hashToken(token) },
      relations: { user: true },
    });
    if (!row?.user) return null;
    const now = Date.now();
    const idleUntil = row.lastSeenAt.getTime() + this.settings.idleMinutes * 60_000;
    if (row.expiresAt.getTime() <= now || idleUntil <= now || row.user.disabledAt) {
      await this.db.getRepository(UserSession).delete({ id: row.id });
      return null;
    }
    if (now - row.lastSeenAt.getTime() >= TOUCH_EVERY_MS) {
      await this.db.getRepository(UserSession).update({ id: row.id }, { lastSeenAt: new Date() });
    }
    const { user } = row;
    return {
      id: row.id,
      csrfToken: row.csrfToken,
      expiresAt: row.expiresAt,
      person: { id: user.id, email: user.email, role: user.role, name: user.name },
    };
  }

  /** Signing out: the session row goes, so the cookie opens nothing any more. */
  async endSession(sessionId: string): Promise<void> {
    await this.db.getRepository(UserSession).delete({ id: sessionId });
  }

  /** Removes sessions past their absolute expiry (they are refused anyway). */
  async purgeExpiredSessions(): Promise<number> {
    const result = await this.db
      .getRepository(UserSession)
      .createQueryBuilder()
      .delete()
      .where('expires_at <= now()')
      .execute();
    return result.affected ?? 0;
  }

  /** The projects a person reaches: every project for an admin, their own for a member. */
  async projectsOf(person: Pick<Person, 'id' | 'role'>): Promise<ProjectRef[]> {
    if (person.role === 'admin') return (await this.projects.list()).map(projectRef);
    const rows = await this.db.getRepository(ProjectMember).find({
      where: { userId: person.id },
      relations: { project: true },
    });
    return rows
      .map((r) => r.project)
      .filter((p): p is Project => !!p)
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime())
      .map(projectRef);
  }

  async projectFor(person: Person, slug: string | undefined): Promise<Project | null> {
    if (person.role === 'admin') {
      if (slug === undefined) {
        return (await this.projects.defaultProject()) ?? (await this.projects.list())[0] ?? null;
      }
      try {
        return await this.projects.findBySlug(slug);
      } catch (error) {
        if (error instanceof NotFoundError) return null;
        throw error;
      }
    }
    const rows = await this.db.getRepository(ProjectMember).find({
      where: { userId: person.id },
      relations: { project: true },
    });
    const reachable = rows
      .map((r) => r.project)
      .filter((p): p is Project => !!p)
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
    if (slug === undefined) return reachable[0] ?? null;
    return reachable.find((p) => p.slug === slug) ?? null;
  }

  /**
   * Turns a person off or back on by id (an admin's page). Off: their sessions end at once and
   * they cannot sign in. Nobody turns themselves off, so an installation keeps its admin.
   */
  async setDisabledById(id: string, disabled: boolean, by: { id: string }): Promise<UserView> {
    const user = await this.db.getRepository(User).findOneBy({ id });
    if (!user) throw new NotFoundError('Person');
    if (disabled && user.id === by.id) {
      throw new ValidationFailedError([
        { field: 'disabled', message: 'you cannot turn yourself off; another admin can' },
      ]);
    }
    await this.db.transaction(async (tx) => {
      await tx
        .getRepository(User)
        .update({ id }, { disabledAt: disabled ? (user.disabledAt ?? new Date()) : null });
      if (disabled) await tx.getRepository(UserSession).delete({ userId: id });
    });
    const [view] = await this.views([await this.db.getRepository(User).findOneByOrFail({ id })]);
    return view;
  }

  /**
   * Gives a person a new generated password (shown once) and ends every session they have, so
   * a password that leaked stops working everywhere at once.
   */
  async resetPassword(id: string): Promise<{ user: UserView; password: string }> {
    const user = await this.db.getRepository(User).findOneBy({ id });
    if (!user) throw new NotFoundError('Person');
    const password = generatePassword();
    const passwordHash = await hashPassword(password);
    await this.db.transaction(async (tx) => {
      await tx.getRepository(User).update({ id }, { passwordHash });
      await tx.getRepository(UserSession).delete({ userId: id });
    });
    const [view] = await this.views([user]);
    return { user: view, password };
  }

  private async views(users: User[]): Promise<UserView[]> {
    if (!users.length) return [];
    const needAll = users.some((u) => u.role === 'admin');
    const all = needAll ? (await this.projects.list()).map(projectRef) : [];
    const memberIds = users.filter((u) => u.role !== 'admin').map((u) => u.id);
    const rows = memberIds.length
      ? await this.db.getRepository(ProjectMember).find({
          where: { userId: In(memberIds) },
          relations: { project: true },
        })
      : [];
    return users.map((u) => ({
      id: u.id,
      email: u.email,
      name: u.name,
      role: u.role,
      createdAt: u.createdAt.toISOString(),
      disabled: u.disabledAt !== null,
      projects:
        u.role === 'admin'
          ? all
          : rows
              .filter((r) => r.userId === u.id && r.project)
              .map((r) => projectRef(r.project!))
              .sort((a, b) => a.slug.localeCompare(b.slug)),
    }));
  }
}

function projectRef(project: Pick<Project, 'id' | 'slug' | 'name'>): ProjectRef {
  return { id: project.id, slug: project.slug, name: project.name };
}
