/** A refusal Judge0 answers as `{error: message}` with its own status (400 for a bad batch, 404). */
export class Judge0HttpError extends Error {
  override readonly name = 'Judge0HttpError';
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
  }
}
