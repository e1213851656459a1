import { Module } from '@nestjs/common';
import type { AppConfig } from '../../config/config.schema';
import { APP_CONFIG } from '../../config/config.module';
import { AgentPolicyService } from '../../modules/projects/agent-policy.service';
import { type OpenAiClient, openAiClientFromConfig } from './openai.client';

export const OPENAI_CLIENT = Symbol('OPENAI_CLIENT');

/** The LLM side of Repro. Without OPENAI_API_KEY the client is null and everything stays deterministic. */
@Module({
  providers: [
    AgentPolicyService,
    {
      provide: OPENAI_CLIENT,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig): OpenAiClient | null => openAiClientFromConfig(config),
    },
  ],
  exports: [OPENAI_CLIENT, AgentPolicyService],
})
export class AgentModule {}
