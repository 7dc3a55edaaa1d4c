/** A command used wrongly (a flag, an argument): exit 2, with a pointer to the command's help. */
export class UsageError extends Error {
  constructor(
    message: string,
    /** The command whose help explains the usage, when known. */
    readonly command?: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}
