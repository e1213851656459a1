import { DomainError, type ErrorCode } from '../../common/errors';

// Stable codes of the email routes. They belong in ErrorCode (src/common/errors.ts); until that
// file carries them (patch email-intake-errors), they are typed here as the codes they will be.
export const EmailErrorCode = {
  /** Not a MIME message, or one without a sender; details.field names what is wrong. */
  InvalidEmail: 'INVALID_EMAIL' as string as ErrorCode,
  /** The project refuses mail from senders not on its staff list. */
  SenderNotAllowed: 'SENDER_NOT_ALLOWED' as string as ErrorCode,
};

export function invalidEmail(field: string, message: string): DomainError {
  return new DomainError(400, EmailErrorCode.InvalidEmail, message, { field });
}
