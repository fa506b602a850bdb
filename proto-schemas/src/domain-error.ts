/**
 * The one error type of the project. `code` is a stable machine-readable string,
 * `status` the HTTP status it maps to at an HTTP boundary (CLI maps it to exit code 2).
 *
 * @example
 * throw new DomainError('unknown_item', 404, 'item "m42" is not in the catalog');
 */
export class DomainError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'DomainError';
  }

  toJSON(): { error: { code: string; message: string } } {
    return { error: { code: this.code, message: this.message } };
  }
}

export const isDomainError = (e: unknown): e is DomainError => e instanceof DomainError;
