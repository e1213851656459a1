import type { Response } from 'express';

export interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown>; requestId: string };
}

export function sendError(
  res: Response,
  status: number,
  code: string,
  message: string,
  requestId: string,
  details?: Record<string, unknown>,
): void {
  const body: ErrorBody = { error: { code, message, requestId } };
  if (details) body.error.details = details;
  res.status(status).json(body);
}
