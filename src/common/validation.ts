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

const OPAQUE_FIELDS = Symbol('opaque fields');

type WithOpaqueFields = { [OPAQUE_FIELDS]?: string[] };

/**
 * A body field taken as it came, an optional array of JSON objects (a recording's events):
 * class-transformer neither walks nor copies it and class-validator does not look inside, which
 * on a large recording cost more than storing it.
 */
export function OpaqueObjectArray(): PropertyDecorator {
  return (prototype, property) => {
    const dto = prototype.constructor as WithOpaqueFields;
    dto[OPAQUE_FIELDS] = [...(dto[OPAQUE_FIELDS] ?? []), String(property)];
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The global ValidationPipe, after the checks on a JSON body that class-validator cannot make. */
class ApiValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body' && metadata.metatype !== Array) {
      // Recordings are stored as gzip bytes: any text is fine there.
      const problem = jsonBodyProblem(value, ['events']);
      if (problem) throw new ValidationFailedError([problem]);
    }
    const opaque = (metadata.metatype as WithOpaqueFields | undefined)?.[OPAQUE_FIELDS];
    if (metadata.type !== 'body' || !opaque || !isRecord(value)) {
      return super.transform(value, metadata);
    }
    const rest = { ...value };
    const kept: Record<string, unknown> = {};
    const problems: FieldProblem[] = [];
    for (const field of opaque) {
      const items = rest[field];
      delete rest[field];
      if (items === undefined || items === null) continue;
      if (!Array.isArray(items)) problems.push({ field, message: `${field} must be an array` });
      else if (!items.every(isRecord))
        problems.push({ field, message: `each value in ${field} must be an object` });
      else kept[field] = items;
    }
    let dto: unknown;
    try {
      dto = await super.transform(rest, metadata);
    } catch (error) {
      const fields = (error as ValidationFailedError).details?.fields as FieldProblem[] | undefined;
      if (problems.length && error instanceof ValidationFailedError && fields) {
        throw new ValidationFailedError([...fields, ...problems]);
      }
      throw error;
    }
    if (problems.length) throw new ValidationFailedError(problems);
    return Object.assign(dto as object, kept);
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
