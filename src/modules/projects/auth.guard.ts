import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { ModuleRef, Reflector } from '@nestjs/core';
import type { Response } from 'express';
import { timingSafeEqual } from 'node:crypto';
import type { AppConfig } from '../../config/config.schema';
import { InjectConfig } from '../../config/config.module';
import { ProjectsService } from './projects.service';
import {
  AUTH_KIND,
  type AuthKind,
  CSRF_HEADER,
  credentialOf,
  PEOPLE_ROLE,
  PeopleAuthError,
  PeopleErrorCode,
  PROJECT_HEADER,
  sameOrigin,
  sessionTokenOf,
} from '../../common/auth';
import { closeIfUnread } from '../../common/body-parsing';
import { RateLimits } from '../../common/rate-limit';
import { type AuthedRequest, SessionAuthenticator } from './current-project';
import { UnauthorizedError } from '../../common/errors';
import { apiKeyPrefix } from './api-key';

export function adminTokenMatches(config: AppConfig, credential: string | undefined): boolean {
  if (!config.ADMIN_TOKEN || !credential) return false;
  const expected = Buffer.from(config.ADMIN_TOKEN);
  const given = Buffer.from(credential);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** Methods that never change anything: no CSRF token needed with the session cookie. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Global: every route needs an API key (or a person's session cookie) unless marked @Public() or
 * @AdminOnly(), and every route is rate limited (per key or person, else per client address).
 * Runs before the body is read (the JsonBodyGuard comes after it), so a refused request costs
 * no parsing or inflating.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  /** Found once, lazily: the users module sits above this one and may not be loaded at all. */
  private sessions: SessionAuthenticator | null | undefined;

  constructor(
    private readonly reflector: Reflector,
    private readonly projects: ProjectsService,
    private readonly limits: RateLimits,
    @InjectConfig() private readonly config: AppConfig,
    private readonly moduleRef: ModuleRef,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    const kind =
      this.reflector.getAllAndOverride<AuthKind | undefined>(AUTH_KIND, targets) ?? 'api-key';
    const req = context.switchToHttp().getRequest<AuthedRequest>();
    const res = context.switchToHttp().getResponse<Response>();
    if (kind === 'public') {
      // Its own check (a signature, a signed link) comes later, over the body if need be.
      await this.limits.forAddress(req, res);
      return true;
    }
    const credential = credentialOf(req);
    // A person's browser sends the cookie and no Authorization header; an API client the reverse.
    const token = kind === 'admin' || credential ? undefined : sessionTokenOf(req);
    if (!credential && !token) {
      await this.limits.forAddress(req, res);
      throw this.refuse(req, res, kind);
    }
    // An address blocked for guessing is refused from memory, before any lookup.
    const blockedMs = this.limits.authBlockedMs(req);
    if (blockedMs > 0) throw this.limits.authBlocked(req, res, blockedMs);
    if (token && kind !== 'admin') {
      const adminOnly = this.reflector.getAllAndOverride<string | undefined>(PEOPLE_ROLE, targets);
      return this.bySession(req, res, kind, token, adminOnly === 'admin');
    }
    switch (kind) {
      case 'session':
        // An API key is not a person: the session routes want the cookie.
        await this.limits.forAddress(req, res);
        throw this.refuse(req, res, kind);
      case 'admin':
        if (!adminTokenMatches(this.config, credential)) {
          await this.limits.authFailed(req, res);
          throw this.refuse(req, res, kind);
        }
        await this.limits.forAddress(req, res);
        return true;
      case 'api-key': {
        const project = await this.projects.authenticate(credential!);
        if (!project) {
          await this.limits.authFailed(req, res);
          throw this.refuse(req, res, kind);
        }
        await this.limits.forKey(apiKeyPrefix(credential!) ?? project.id, req, res);
        req.project = project;
        return true;
      }
    }
  }

  /**
   * A person's session cookie: the session must be live; a write must carry its CSRF token and
   * come from Repro's own origin; the project is the one X-Repro-Project names (if they may
   * reach it) or their first; an admin-only route refuses members.
   */
  private async bySession(
    req: AuthedRequest,
    res: Response,
    kind: 'api-key' | 'session',
    token: string,
    adminOnly: boolean,
  ): Promise<boolean> {
    const sessions = this.sessionAuthenticator();
    const session = sessions ? await sessions.authenticate(token) : null;
    if (!session) {
      await this.limits.authFailed(req, res);
      closeIfUnread(req, res);
      throw new UnauthorizedError('Your session has ended or is not valid; sign in again.');
    }
    if (!SAFE_METHODS.has(req.method)) {
      const given = Buffer.from(req.header(CSRF_HEADER) ?? '');
      const expected = Buffer.from(session.csrfToken);
      const tokenOk = given.length === expected.length && timingSafeEqual(given, expected);
      if (!tokenOk || !sameOrigin(req, this.config.PUBLIC_URL)) {
        closeIfUnread(req, res);
        throw new PeopleAuthError(
          403,
          PeopleErrorCode.CsrfFailed,
          'A change with the session cookie needs the X-CSRF-Token header of the session, from Repro’s own origin.',
        );
      }
    }
    const person = session.person;
    if (adminOnly && person.role !== 'admin') {
      closeIfUnread(req, res);
      throw new PeopleAuthError(403, PeopleErrorCode.ForbiddenRole, 'Only an admin may do this.');
    }
    await this.limits.forKey(`person:${person.id}`, req, res);
    req.user = { id: person.id, email: person.email, role: person.role };
    req.personSession = session;
    if (kind === 'session') return true;
    const slug = req.header(PROJECT_HEADER)?.trim() || undefined;
    const project = await sessions!.projectFor(req.user, slug);
    if (!project) {
      closeIfUnread(req, res);
      throw new PeopleAuthError(
        403,
        PeopleErrorCode.ProjectForbidden,
        slug
          ? `You have no access to project "${slug}".`
          : 'You have no project yet; an admin can give you one.',
        slug ? { project: slug } : undefined,
      );
    }
    req.project = project;
    return true;
  }

  private sessionAuthenticator(): SessionAuthenticator | null {
    if (this.sessions === undefined) {
      try {
        this.sessions = this.moduleRef.get(SessionAuthenticator, { strict: false });
      } catch {
        this.sessions = null;
      }
    }
    return this.sessions ?? null;
  }

  private refuse(req: AuthedRequest, res: Response, kind: 'admin' | 'api-key' | 'session'): Error {
    closeIfUnread(req, res);
    switch (kind) {
      case 'admin':
        return new UnauthorizedError('The admin token is required.');
      case 'session':
        return new UnauthorizedError('Sign in first: this needs the session cookie.');
      case 'api-key':
        return new UnauthorizedError();
    }
  }
}
