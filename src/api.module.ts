import {
  type ArgumentMetadata,
  Module,
  ValidationPipe,
  type ValidationError,
} from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { AllExceptionsFilter } from './common/all-exceptions.filter';
import { AuthGuard } from './common/auth.guard';
import { jsonBodyProblem } from './common/body-parsing';
import { type FieldProblem, ValidationFailedError } from './common/errors';
import { TriageModule } from './modules/agent/triage.module';
import { ConversationModule } from './modules/conversation/conversation.module';
import { HealthModule } from './modules/health/health.module';
import { IntakeModule } from './modules/intake/intake.module';
import { MetricsModule } from './modules/metrics/metrics.module';
import { ProjectsModule } from './modules/projects/projects.module';
import { ReplayModule } from './modules/replay/replay.module';
import { TrackersModule } from './modules/trackers/trackers.module';
import { WebhooksModule } from './modules/webhooks/webhooks.module';

/** Flattens class-validator's tree into `reporter.email: must be an email`. */
export function fieldProblems(errors: ValidationError[], parent = ''): FieldProblem[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) => ({
      field: field || 'body',
      message: message.replace(/^property \S+ /, ''),
    }));
    return [...own, ...fieldProblems(error.children ?? [], field)];
  });
}

/** The global ValidationPipe, after the checks on a JSON body that class-validator cannot make. */
class ApiValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body' && metadata.metatype !== Array) {
      // Recordings are stored as gzip bytes: any text is fine there.
      const problem = jsonBodyProblem(value, ['events']);
      if (problem) throw new ValidationFailedError([problem]);
    }
    return super.transform(value, metadata);
  }
}

/** HTTP: feature controllers plus the global guard, error filter and validation. */
@Module({
  imports: [
    ProjectsModule,
    IntakeModule,
    TrackersModule,
    TriageModule,
    ConversationModule,
    HealthModule,
    MetricsModule,
    ReplayModule,
    WebhooksModule,
  ],
  providers: [
    { provide: APP_GUARD, useClass: AuthGuard },
    { provide: APP_FILTER, useClass: AllExceptionsFilter },
    {
      provide: APP_PIPE,
      useValue: new ApiValidationPipe({
        whitelist: true,
        forbidNonWhitelisted: true,
        forbidUnknownValues: true,
        transform: true,
        exceptionFactory: (errors) => new ValidationFailedError(fieldProblems(errors)),
      }),
    },
  ],
})
export class ApiModule {}
