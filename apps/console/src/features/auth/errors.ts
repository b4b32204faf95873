/** Domain errors of the console; server actions map them to a message or an HTTP status. */
export type ConsoleErrorCode = 'CONSOLE_ERR_UNAUTHENTICATED' | 'CONSOLE_ERR_FORBIDDEN';

export class ConsoleError extends Error {
  readonly code: ConsoleErrorCode;
  constructor(code: ConsoleErrorCode, message: string) {
    super(message);
    this.name = 'ConsoleError';
    this.code = code;
  }
}
