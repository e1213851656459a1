import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { ConversationService } from './conversation.service';

/**
 * The conversation routes' own credential check (they are @Public() to the global guard): the
 * reporter's token for this report, or the project's API key. A guard, so it runs before the
 * body is validated: an anonymous caller learns nothing from a 400.
 */
@Injectable()
export class ConversationGuard implements CanActivate {
  constructor(private readonly conversation: ConversationService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<Request>();
    const id = req.params.id;
    await this.conversation.authorize(req, typeof id === 'string' ? id : '');
    return true;
  }
}
