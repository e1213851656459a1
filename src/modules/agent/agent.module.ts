import { Module } from '@nestjs/common';
import type { AppConfig } from '../../config/config.schema';
import { APP_CONFIG } from '../../config/config.module';
import { AgentPolicyService } from './agent-policy.service';
import { OpenAiClient } from './openai.client';

export const OPENAI_CLIENT = Symbol('OPENAI_CLIENT');

/** The LLM side of Repro. Without OPENAI_API_KEY the client is null and everything stays deterministic. */
@Module({
  providers: [
    AgentPolicyService,
    {
      provide: OPENAI_CLIENT,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig): OpenAiClient | null =>
        config.OPENAI_API_KEY
          ? new OpenAiClient({
              apiKey: config.OPENAI_API_KEY,
              baseUrl: config.OPENAI_BASE_URL,
              timeoutMs: config.OPENAI_TIMEOUT_MS,
            })
          : null,
    },
  ],
  exports: [OPENAI_CLIENT, AgentPolicyService],
})
export class AgentModule {}
