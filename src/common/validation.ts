import { type ArgumentMetadata, ValidationPipe, type ValidationError } from '@nestjs/common';
import { jsonBodyProblem } from './body-parsing';
import { type FieldProblem, ValidationFailedError } from './errors';

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

/**
 * How every request body is checked: unknown fields refused, each problem named by its field.
 * The API's global pipe, and what `repro triage` checks a report file with.
 */
export function apiValidationPipe(): ValidationPipe {
  return new ApiValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    exceptionFactory: (errors) => new ValidationFailedError(fieldProblems(errors)),
  });
}
