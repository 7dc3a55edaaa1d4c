/**
 * The one error type for what a user can fix: bad input, a missing or foreign file, a
 * busy run folder. Every front end shows it the same way, as its message alone (written
 * for users, naming the file or field and what to do): the CLI exits 2, the sidecar
 * answers with a JSON-RPC error whose data names the kind (protocol.ts ErrorCode:
 * InvalidConfig with the diagnostics for a config, RunNotFound or Busy for runs and run
 * folders, InvalidParams otherwise), the extension shows the message. Anything else is a failure (exit 1,
 * ErrorCode.Failed). Each module keeps its own subclass, so its messages stay next to
 * the code that detects them.
 */
export type UserErrorKind = 'config' | 'data' | 'image' | 'mask' | 'checkpoint' | 'run' | 'restore' | 'sample' | 'request' | 'file' | 'output';

export class UserError extends Error {
  constructor(
    readonly kind: UserErrorKind,
    message: string,
    /** The file or folder the error concerns, when there is one (front ends may show or link it). */
    readonly path?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}
