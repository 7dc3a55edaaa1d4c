/** What the use cases refuse before touching the engine: requests that cannot be served as asked. */
import { outputFormat } from '../engine/data/images.ts';
import { UserError } from '../runLayout/errors.ts';
import { requireOutputFile } from '../engine/store/outputFolder.ts';

/** A request that cannot be served as asked (as opposed to an internal failure). */
export class ActionError extends UserError {
  constructor(message: string, path?: string) {
    super('request', message, path);
  }
}

/** Refuses an output name whose extension is not an image format we write (the format follows the extension). */
export function requireImageOutput(file: string): void {
  if (!outputFormat(file)) throw new ActionError(`Output file ${file} must end in .png, .jpg or .jpeg (the format follows the extension).`, file);
  requireOutputFile(file, 'output image');
}
