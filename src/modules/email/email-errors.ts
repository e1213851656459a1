import { DomainError, ErrorCode } from '../../common/errors';

/** Stable codes of the email routes (defined with the others in src/common/errors.ts). */
export const EmailErrorCode = {
  InvalidEmail: ErrorCode.InvalidEmail,
  SenderNotAllowed: ErrorCode.SenderNotAllowed,
};

export function invalidEmail(field: string, message: string): DomainError {
  return new DomainError(400, EmailErrorCode.InvalidEmail, message, { field });
}
