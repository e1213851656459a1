import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Response } from 'express';
import { timingSafeEqual } from 'node:crypto';
import type { AppConfig } from '../../config/config.schema';
import { InjectConfig } from '../../config/config.module';
import { ProjectsService } from './projects.service';
import { AUTH_KIND, type AuthKind, credentialOf } from '../../common/auth';
import { closeIfUnread } from '../../common/body-parsing';
import { RateLimits } from '../../common/rate-limit';
import { type AuthedRequest } from './current-project';
import { UnauthorizedError } from '../../common/errors';
import { apiKeyPrefix } from './api-key';

export function adminTokenMatches(config: AppConfig, credential: string | undefined): boolean {
  if (!config.ADMIN_TOKEN || !credential) return false;
  const expected = Buffer.from(config.ADMIN_TOKEN);
  const given = Buffer.from(credential);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/**
 * Global: every route needs an API key unless marked @Public() or @AdminOnly(), and every route
 * is rate limited (per key, else per client address). Runs before the body is read (the
 * JsonBodyGuard comes after it), so a refused request costs no parsing or inflating.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly projects: ProjectsService,
    private readonly limits: RateLimits,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const kind =
      this.reflector.getAllAndOverride<AuthKind | undefined>(AUTH_KIND, [
        context.getHandler(),
        context.getClass(),
      ]) ?? 'api-key';
    const req = context.switchToHttp().getRequest<AuthedRequest>();
    const res = context.switchToHttp().getResponse<Response>();
    if (kind === 'public') {
      // Its own check (a signature, a signed link) comes later, over the body if need be.
      await this.limits.forAddress(req, res);
      return true;
    }
    const credential = credentialOf(req);
    if (!credential) {
      await this.limits.forAddress(req, res);
      throw this.refuse(req, res, kind);
    }
    // An address blocked for guessing is refused from memory, before any lookup.
    const blockedMs = this.limits.authBlockedMs(req);
    if (blockedMs > 0) throw this.limits.authBlocked(req, res, blockedMs);
    switch (kind) {
      case 'admin':
        if (!adminTokenMatches(this.config, credential)) {
          await this.limits.authFailed(req, res);
          throw this.refuse(req, res, kind);
        }
        await this.limits.forAddress(req, res);
        return true;
      case 'api-key': {
        const project = await this.projects.authenticate(credential);
        if (!project) {
          await this.limits.authFailed(req, res);
          throw this.refuse(req, res, kind);
        }
        await this.limits.forKey(apiKeyPrefix(credential) ?? project.id, req, res);
        req.project = project;
        return true;
      }
    }
  }

  private refuse(req: AuthedRequest, res: Response, kind: 'admin' | 'api-key'): Error {
    closeIfUnread(req, res);
    return kind === 'admin'
      ? new UnauthorizedError('The admin token is required.')
      : new UnauthorizedError();
  }
}
