/** The sandbox cannot start here: missing privileges, no usable cgroups, no helper binary. */
export class SandboxUnavailableError extends Error {
  override readonly name = 'SandboxUnavailableError';
  constructor(
    message: string,
    readonly details: string | null = null,
    options?: ErrorOptions,
  ) {
    super(details ? `${message}: ${details}` : message, options);
  }
}

/** A request the sandbox refuses (bad path, bad limit, file placed after the first run...). */
export class SandboxRequestError extends Error {
  override readonly name = 'SandboxRequestError';
  constructor(
    message: string,
    readonly code: 'invalid' | 'too_large',
  ) {
    super(message);
  }
}

/** The helper process of a slot died or broke the protocol; the slot is restarted. */
export class SandboxCrashedError extends Error {
  override readonly name = 'SandboxCrashedError';
}

/** The sandbox was closed while the caller waited for it. */
export class SandboxClosedError extends Error {
  override readonly name = 'SandboxClosedError';
  constructor() {
    super('the sandbox is closed');
  }
}
