import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import type { Project } from './entities/project.entity';

/** Admins reach every project; members only the projects they were given. */
export type PersonRole = 'admin' | 'member';

/** The person behind a request with a session cookie (undefined for an API key). */
export interface Person {
  id: string;
  email: string;
  role: PersonRole;
}

/** A live session, as the guard found it from the cookie. */
export interface PersonSession {
  id: string;
  csrfToken: string;
  expiresAt: Date;
  person: Person & { name: string | null };
}

export interface AuthedRequest extends Request {
  project?: Project;
  user?: Person;
  personSession?: PersonSession;
}

/**
 * What the guard asks about session cookies. The users module (above projects in the layers)
 * provides it; without that module, cookies are simply not a credential.
 */
export abstract class SessionAuthenticator {
  /** The live session this cookie token opens (its idle time renewed), or null. */
  abstract authenticate(token: string): Promise<PersonSession | null>;
  /**
   * The project a person works in: the one with this slug, or their first when slug is
   * undefined; null when they may not reach it (or have none).
   */
  abstract projectFor(person: Person, slug: string | undefined): Promise<Project | null>;
}

/** The project of this request: its API key's, or the signed-in person's chosen one. */
export const CurrentProject = createParamDecorator((_: unknown, ctx: ExecutionContext): Project => {
  const project = ctx.switchToHttp().getRequest<AuthedRequest>().project;
  if (!project) throw new Error('CurrentProject used on a route without API key auth');
  return project;
});

/** The signed-in person, or undefined when an API key authenticated the request. */
export const CurrentUser = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): Person | undefined =>
    ctx.switchToHttp().getRequest<AuthedRequest>().user,
);

/** The session of a @SessionOnly() route (always there: the guard requires it). */
export const CurrentSession = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): PersonSession => {
    const session = ctx.switchToHttp().getRequest<AuthedRequest>().personSession;
    if (!session) throw new Error('CurrentSession used on a route without a session');
    return session;
  },
);
