/**
 * Errors the CLI and server turn into exit codes / HTTP statuses.
 * UsageError: the caller asked for something malformed (exit 2, HTTP 400).
 * VlmError: anything else that went wrong with a message saying what to do (exit 1).
 */
export class VlmError extends Error {
  readonly exitCode: number = 1;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'VlmError';
  }
}

export class UsageError extends VlmError {
  override readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Input that cannot be processed (corrupt image, too large, empty text): the item is skipped or refused. */
export class InputError extends VlmError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InputError';
  }
}
