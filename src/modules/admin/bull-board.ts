import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { INestApplication } from '@nestjs/common';
import { getQueueToken } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import type { NextFunction, Request, Response } from 'express';
import { credentialOf } from '../../common/auth';
import { adminTokenMatches } from '../projects/auth.guard';
import { sendError } from '../../common/error-body';
import { ErrorCode } from '../../common/errors';
import { requestIdOf } from '../../common/request-id';
import type { AppConfig } from '../../config/config.schema';
import { QueueName } from '../../queue/queue.constants';

export const BULL_BOARD_PATH = '/admin/queues';

/** The BullMQ dashboard, behind ADMIN_TOKEN (Bearer, or Basic with any user name for browsers). */
export function mountBullBoard(app: INestApplication, config: AppConfig): void {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(BULL_BOARD_PATH);
  createBullBoard({
    queues: Object.values(QueueName).map(
      (name) => new BullMQAdapter(app.get<Queue>(getQueueToken(name), { strict: false })),
    ),
    serverAdapter,
  });
  const requireAdmin = (req: Request, res: Response, next: NextFunction) => {
    if (adminTokenMatches(config, credentialOf(req))) return next();
    res.setHeader('WWW-Authenticate', 'Basic realm="Repro admin", charset="UTF-8"');
    sendError(
      res,
      401,
      ErrorCode.Unauthorized,
      config.ADMIN_TOKEN
        ? 'The admin token is required.'
        : 'Set ADMIN_TOKEN to enable the admin pages.',
      requestIdOf(req),
    );
  };
  app.use(BULL_BOARD_PATH, requireAdmin, serverAdapter.getRouter());
}
