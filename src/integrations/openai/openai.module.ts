import { Module } from '@nestjs/common';
import type { AppConfig } from '../../config/config.schema';
import { APP_CONFIG } from '../../config/config.module';
import { type OpenAiClient, openAiClientFromConfig } from './openai.client';

export const OPENAI_CLIENT = Symbol('OPENAI_CLIENT');

/** The OpenAI client, or null without OPENAI_API_KEY (then everything stays deterministic). */
@Module({
  providers: [
    {
      provide: OPENAI_CLIENT,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig): OpenAiClient | null => openAiClientFromConfig(config),
    },
  ],
  exports: [OPENAI_CLIENT],
})
export class OpenAiModule {}
