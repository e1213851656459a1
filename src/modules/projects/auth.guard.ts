import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { timingSafeEqual } from 'node:crypto';
import type { AppConfig } from '../../config/config.schema';
import { InjectConfig } from '../../config/config.module';
import { ProjectsService } from './projects.service';
import { AUTH_KIND, type AuthKind, credentialOf } from '../../common/auth';
import { type AuthedRequest } from './current-project';
import { UnauthorizedError } from '../../common/errors';

export function adminTokenMatches(config: AppConfig, credential: string | undefined): boolean {
  if (!config.ADMIN_TOKEN || !credential) return false;
  const expected = Buffer.from(config.ADMIN_TOKEN);
  const given = Buffer.from(credential);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** Global: every route needs an API key unless marked @Public() or @AdminOnly(). */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly projects: ProjectsService,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const kind =
      this.reflector.getAllAndOverride<AuthKind | undefined>(AUTH_KIND, [
        context.getHandler(),
        context.getClass(),
      ]) ?? 'api-key';
    const req = context.switchToHttp().getRequest<AuthedRequest>();
    switch (kind) {
      case 'public':
        return true;
      case 'admin':
        if (adminTokenMatches(this.config, credentialOf(req))) return true;
        throw new UnauthorizedError('The admin token is required.');
      case 'api-key': {
        const credential = credentialOf(req);
        const project = credential ? await this.projects.authenticate(credential) : null;
        if (!project) throw new UnauthorizedError();
        req.project = project;
        return true;
      }
    }
  }
}
