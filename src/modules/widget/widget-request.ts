import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import type { Project } from '../projects/entities/project.entity';

export interface WidgetRequest extends Request {
  /** Set by WidgetAccessMiddleware once the key, the origin and the key's limit passed. */
  widgetProject?: Project;
}

/** The project whose widget key (in the path) this request came with. */
export const WidgetProject = createParamDecorator((_: unknown, ctx: ExecutionContext): Project => {
  const project = ctx.switchToHttp().getRequest<WidgetRequest>().widgetProject;
  if (!project) throw new Error('WidgetProject used on a route without WidgetGuard');
  return project;
});
