import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import type { Project } from './entities/project.entity';

export interface AuthedRequest extends Request {
  project?: Project;
}

/** The project whose API key authenticated this request. */
export const CurrentProject = createParamDecorator((_: unknown, ctx: ExecutionContext): Project => {
  const project = ctx.switchToHttp().getRequest<AuthedRequest>().project;
  if (!project) throw new Error('CurrentProject used on a route without API key auth');
  return project;
});
