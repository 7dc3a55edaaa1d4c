/**
 * The questions the extension asks before it acts (a changed config, a run to resume, a
 * file to replace), in one replaceable place: the API exposes it, so the extension-host
 * tests answer them as a user would instead of leaving a modal dialog open.
 */
import * as vscode from 'vscode';

export const prompts = {
  /** A modal warning with `choices`; resolves with the choice, or undefined for Cancel. */
  ask: (message: string, detail: string, ...choices: string[]): Thenable<string | undefined> =>
    vscode.window.showWarningMessage(message, { modal: true, detail }, ...choices),
};
