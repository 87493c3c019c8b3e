/**
 * Coded errors. Every error a caller can act on carries a stable `code`, the HTTP status the API maps it to,
 * and a message a person can act on. One handler in the API turns these into responses; 5xx details stay in the log.
 */
export class AppError extends Error {
  readonly code: string;
  readonly statusCode: number;
  readonly details: unknown;

  constructor(code: string, statusCode: number, message: string, details?: unknown) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.statusCode = statusCode;
    this.details = details;
  }
}

export const badRequest = (code: string, message: string, details?: unknown): AppError => new AppError(code, 400, message, details);
export const unauthorized = (message = 'Authentication required'): AppError => new AppError('UNAUTHORIZED', 401, message);
export const forbidden = (message = 'Your role does not allow this action'): AppError => new AppError('FORBIDDEN', 403, message);
export const notFound = (what: string, id: string): AppError => new AppError('NOT_FOUND', 404, `${what} '${id}' does not exist`);
export const conflict = (code: string, message: string): AppError => new AppError(code, 409, message);
