/** Stable, documented error codes. Clients branch on these, so never rename one. */
export const ErrorCode = {
  ValidationFailed: 'VALIDATION_FAILED',
  MalformedJson: 'MALFORMED_JSON',
  Unauthorized: 'UNAUTHORIZED',
  Forbidden: 'FORBIDDEN',
  /** POST /v1/session: no such person, a wrong password or a disabled person (one answer). */
  InvalidCredentials: 'INVALID_CREDENTIALS',
  /** X-Repro-Project names a project the signed-in person may not reach (or they have none). */
  ProjectForbidden: 'PROJECT_FORBIDDEN',
  /** A write with the session cookie without its X-CSRF-Token, or from another origin. */
  CsrfFailed: 'CSRF_FAILED',
  /** A member calling an admin route (@AdminOnlyForPeople). */
  ForbiddenRole: 'FORBIDDEN_ROLE',
  NotFound: 'NOT_FOUND',
  PayloadTooLarge: 'PAYLOAD_TOO_LARGE',
  UnsupportedMediaType: 'UNSUPPORTED_MEDIA_TYPE',
  IdempotencyKeyReused: 'IDEMPOTENCY_KEY_REUSED',
  ChunkConflict: 'CHUNK_CONFLICT',
  /** A chunk for a session whose report was already analysed; details.field is sessionId. */
  RecordingClosed: 'RECORDING_CLOSED',
  MethodNotAllowed: 'METHOD_NOT_ALLOWED',
  ConversationClosed: 'CONVERSATION_CLOSED',
  NotAwaitingDecision: 'NOT_AWAITING_DECISION',
  /** POST /v1/projects: another project has the slug; details.field is slug. */
  SlugTaken: 'SLUG_TAKEN',
  /** PATCH /v1/tickets/:key on a Linear or GitHub ticket; details.url links to it there. */
  TicketNotBuiltin: 'TICKET_NOT_BUILTIN',
  /** Too many requests from this key or address; Retry-After says when to try again. */
  RateLimited: 'RATE_LIMITED',
  /** A project's hourly recording quota is used up; details.quota names which. */
  QuotaExceeded: 'QUOTA_EXCEEDED',
  /** A widget request from a page whose origin the project does not allow (or with no Origin). */
  OriginNotAllowed: 'ORIGIN_NOT_ALLOWED',
  /** The widget script has not been built (npm run build) where WIDGET_DIR points. */
  WidgetNotBuilt: 'WIDGET_NOT_BUILT',
  /** POST /v1/emails: not a MIME message, or one without a sender; details.field says which. */
  InvalidEmail: 'INVALID_EMAIL',
  /** POST /v1/emails: the project refuses mail from senders not on its staff list. */
  SenderNotAllowed: 'SENDER_NOT_ALLOWED',
  /** An email webhook whose signature does not match, is stale or was seen before (Mailgun). */
  BadSignature: 'BAD_SIGNATURE',
  Internal: 'INTERNAL',
  Unavailable: 'UNAVAILABLE',
  /** PostgreSQL or Redis cannot be reached; details.dependency names which. Retry later. */
  DependencyUnavailable: 'DEPENDENCY_UNAVAILABLE',
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
