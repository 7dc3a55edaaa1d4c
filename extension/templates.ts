/**
 * New configs from templates: the shipped, measured examples (the toy and MNIST, bundled)
 * and an image-folder config built on the MNIST one. They carry no "$schema": the
 * extension's language server validates *.ecvae.json files, and a "$schema" would make
 * VS Code's JSON service report every error a second time.
 * A template never replaces an existing file without asking.
 */
import { relative } from 'node:path';
import * as vscode from 'vscode';
import mnistExample from '../examples/mnist.ecvae.json' with { type: 'json' };
import toyExample from '../examples/toy-25gaussians.ecvae.json' with { type: 'json' };
import { prompts } from './prompts.ts';
import { CONFIG_GLOB, pickWorkspaceFolder } from './workspace.ts';

const MNIST: Record<string, unknown> = mnistExample;
const TOY: Record<string, unknown> = toyExample;

export type TemplateId = 'toy' | 'mnist' | 'folder';

interface Template {
  label: string;
  detail: string;
  config: (imageFolder?: string) => Record<string, unknown>;
}

export const TEMPLATES: Record<TemplateId, Template> = {
  toy: {
    label: 'Toy: 25 Gaussians (2-D, trains in minutes on a CPU)',
    detail: 'A 5x5 grid of Gaussians; the samples panel shows a scatter plot against the data.',
    config: () => TOY,
  },
  mnist: {
    label: 'MNIST digits (28x28, the data ships with the extension)',
    detail: 'The measured MNIST example: a small conv VAE calibrated by an energy model.',
    config: () => MNIST,
  },
  folder: {
    label: 'Your images: a folder of PNG/JPEG files',
    detail: 'Centre-cropped and resized to 32x32 RGB; set data.path to your folder.',
    config: (imageFolder = 'images') => ({
      ...MNIST,
      name: 'images',
      data: { kind: 'folder', path: imageFolder, size: 32, channels: 3, onBadImage: 'skip' },
      model: { kind: 'conv', latentDim: 32, width: 16, ebmHidden: 64 },
    }),
  },
};

/** What the API (tests, the walkthrough) may pass instead of answering the pickers. */
export interface TemplateOptions {
  template?: TemplateId;
  /** Where the config goes; default `<workspace folder>/<name>.ecvae.json`. */
  target?: vscode.Uri;
  /** folder template: the image folder (absolute, or relative to the config). */
  imageFolder?: string;
}

const isTemplateOptions = (v: unknown): v is TemplateOptions => typeof v === 'object' && v !== null && !(v instanceof vscode.Uri);

/**
 * `ecvae.createConfig`: picks a template, writes `<name>.ecvae.json` into the workspace
 * folder and opens it. An existing file is replaced only if the user says so; otherwise
 * the config goes to a free name beside it, or nothing is written. Resolves with the file.
 */
export async function createConfigFromTemplate(options?: unknown): Promise<vscode.Uri | undefined> {
  const o = isTemplateOptions(options) ? options : {};
  const id =
    o.template ??
    (
      await vscode.window.showQuickPick(
        (Object.keys(TEMPLATES) as TemplateId[]).map((k) => ({ label: TEMPLATES[k].label, detail: TEMPLATES[k].detail, id: k })),
        { placeHolder: 'Template for the new EC-VAE config' },
      )
    )?.id;
  if (!id) return undefined;
  let target = o.target;
  if (!target) {
    const folder = await pickWorkspaceFolder('the new config');
    if (!folder) return undefined;
    target = vscode.Uri.joinPath(folder.uri, `${TEMPLATES[id].config().name as string}.ecvae.json`);
  }
  let imageFolder = o.imageFolder;
  if (id === 'folder' && imageFolder === undefined && !o.template) {
    const picked = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, openLabel: 'Train on these images' });
    if (picked?.[0]) imageFolder = relative(vscode.Uri.joinPath(target, '..').fsPath, picked[0].fsPath) || '.';
  }
  target = await confirmTarget(target);
  if (!target) return undefined;
  const config = TEMPLATES[id].config(imageFolder);
  await vscode.workspace.fs.writeFile(target, Buffer.from(JSON.stringify(config, null, 2) + '\n'));
  await vscode.window.showTextDocument(target);
  return target;
}

async function exists(uri: vscode.Uri): Promise<boolean> {
  try {
    await vscode.workspace.fs.stat(uri);
    return true;
  } catch {
    return false;
  }
}

/** The file to write: `target` if it is free or the user agrees to replace it, a free name beside it, or undefined (cancelled). */
async function confirmTarget(target: vscode.Uri): Promise<vscode.Uri | undefined> {
  if (!(await exists(target))) return target;
  let free = target;
  // `-<i>` before .ecvae.json, or at the end of another name (so the loop always moves on to a new name).
  for (let i = 2; await exists(free); i++) free = vscode.Uri.file(target.fsPath.replace(/(\.ecvae\.json)?$/, `-${i}$1`));
  const base = (u: vscode.Uri): string => u.fsPath.split(/[\\/]/).pop()!;
  const replace = 'Replace';
  const other = `Create ${base(free)}`;
  const answer = await prompts.ask(
    `${base(target)} already exists.`,
    `Replace it with the template (its contents are lost), or create ${base(free)} beside it?`,
    replace,
    other,
  );
  if (answer === replace) return target;
  if (answer === other) return free;
  return undefined;
}

/** A `*.ecvae.json` of the workspace (any folder), or a new one from a template. */
export async function pickConfig(): Promise<string | undefined> {
  const files = await vscode.workspace.findFiles(CONFIG_GLOB, '**/node_modules/**', 200);
  const create = '$(add) Create a config from a template…';
  const items = [...files.map((f) => ({ label: vscode.workspace.asRelativePath(f, true), uri: f })), { label: create, uri: undefined }];
  const picked = await vscode.window.showQuickPick(items, { placeHolder: 'EC-VAE run config to train' });
  if (!picked) return undefined;
  if (picked.uri) return picked.uri.fsPath;
  return (await createConfigFromTemplate())?.fsPath;
}
