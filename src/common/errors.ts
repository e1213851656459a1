/** Stable, documented error codes. Clients branch on these, so never rename one. */
export const ErrorCode = {
  ValidationFailed: 'VALIDATION_FAILED',
  MalformedJson: 'MALFORMED_JSON',
  Unauthorized: 'UNAUTHORIZED',
  Forbidden: 'FORBIDDEN',
  NotFound: 'NOT_FOUND',
  PayloadTooLarge: 'PAYLOAD_TOO_LARGE',
  UnsupportedMediaType: 'UNSUPPORTED_MEDIA_TYPE',
  IdempotencyKeyReused: 'IDEMPOTENCY_KEY_REUSED',
  ChunkConflict: 'CHUNK_CONFLICT',
  MethodNotAllowed: 'METHOD_NOT_ALLOWED',
  ConversationClosed: 'CONVERSATION_CLOSED',
  NotAwaitingDecision: 'NOT_AWAITING_DECISION',
  Internal: 'INTERNAL',
  Unavailable: 'UNAVAILABLE',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface FieldProblem {
  field: string;
  message: string;
}

/** An error meant for the client: a status, a stable code, and what to fix. */
export class DomainError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export class ValidationFailedError extends DomainError {
  constructor(fields: FieldProblem[], message = 'The request has invalid fields.') {
    super(400, ErrorCode.ValidationFailed, message, { fields });
  }
}

export class NotFoundError extends DomainError {
  constructor(what: string) {
    super(404, ErrorCode.NotFound, `${what} not found.`);
  }
}

export class UnauthorizedError extends DomainError {
  constructor(message = 'A valid API key is required (Authorization: Bearer <key>).') {
    super(401, ErrorCode.Unauthorized, message);
  }
}
