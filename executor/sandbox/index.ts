export { createSandbox, DEFAULT_ETC, DEFAULT_UID_BASE, defaultUidBase } from './sandbox.js';
export { warmInterpreter, WARM_STARTS } from './warm.js';
export { HARD_CEILINGS } from './validate.js';
export {
  SandboxClosedError,
  SandboxCrashedError,
  SandboxRequestError,
  SandboxUnavailableError,
} from './errors.js';
export type * from './types.js';
