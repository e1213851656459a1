import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { credentialOf } from '../../common/auth';
import { UnauthorizedError } from '../../common/errors';
import { isUUID } from 'class-validator';
import { looksLikeReporterToken, reporterTokenMatches } from '../conversation/reporter-token';
import { ReportsService } from '../reports/reports.service';
import type { WidgetRequest } from './widget-request';

/** The widget routes' check: WidgetAccessMiddleware admitted the key and the origin. */
@Injectable()
export class WidgetGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<WidgetRequest>();
    if (!req.widgetProject) throw new UnauthorizedError('Unknown widget key.');
    return true;
  }
}

const NOT_YOURS = 'This token does not belong to this report.';

/**
 * A report's conversation through the widget: only its reporter's token, and only for a report
 * that came in through this project's widget. (The secret API key is not taken here; support
 * staff use /v1/reports/:id/messages.) One query per request: the widget polls through this.
 */
@Injectable()
export class WidgetReporterGuard implements CanActivate {
  constructor(private readonly reports: ReportsService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<WidgetRequest>();
    const project = req.widgetProject;
    if (!project) throw new UnauthorizedError('Unknown widget key.');
    const credential = credentialOf(req);
    if (!credential || !looksLikeReporterToken(credential)) {
      throw new UnauthorizedError(
        "The reporter's token from the report's 202 is required (Authorization: Bearer <token>).",
      );
    }
    const id = typeof req.params.id === 'string' ? req.params.id : '';
    const hash = isUUID(id)
      ? await this.reports.reporterTokenHash(id, { projectId: project.id, source: 'widget' })
      : undefined;
    if (hash === undefined || !reporterTokenMatches(credential, hash)) {
      throw new UnauthorizedError(NOT_YOURS);
    }
    return true;
  }
}
