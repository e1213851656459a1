import { Module } from '@nestjs/common';
import { WebController } from './web.controller';

/** The triage web app at /app: static files only; its data comes from the JSON API. */
@Module({ controllers: [WebController] })
export class WebModule {}
