/**
 * Located diagnostics for config text: a problem found at a field path becomes a message
 * at the line and column of that field's value (or key) in the text, for the CLI's
 * compiler-style output and the editor's squiggles.
 */
import { getNodePath, type Node } from 'jsonc-parser';

export interface Diagnostic {
  severity: 'error' | 'warning';
  /** Dotted field path, e.g. "data.size"; "" for the whole document. */
  field: string;
  message: string;
  /** 1-based position in the config text (1:1 when the text is not known). */
  line: number;
  column: number;
  /** 0-based character range, for editors. */
  offset: number;
  length: number;
}

/** Converts a character offset into a 1-based line and column. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/**
 * The node at `path` as JSON.parse (and so the engine) reads it: where an object has a
 * key twice, the later value is the one used, so the path follows the last property.
 */
export function nodeAt(root: Node, path: (string | number)[]): Node | undefined {
  let node: Node | undefined = root;
  for (const seg of path) {
    if (!node?.children) return undefined;
    if (node.type === 'object') {
      const props: Node[] = node.children.filter((p) => p.children?.[0]?.value === seg);
      node = props.at(-1)?.children?.[1];
    } else if (node.type === 'array' && typeof seg === 'number') {
      node = node.children[seg];
    } else {
      return undefined;
    }
  }
  return node;
}

/** Every property of an object whose key appears again later in that object (the earlier value is ignored). */
export function duplicateKeys(root: Node): Node[] {
  const later: Node[] = [];
  const visit = (node: Node): void => {
    if (node.type === 'object') {
      const seen = new Set<unknown>();
      for (const prop of node.children ?? []) {
        const key = prop.children?.[0]?.value;
        if (seen.has(key)) later.push(prop);
        seen.add(key);
      }
    }
    for (const child of node.children ?? []) visit(child);
  };
  visit(root);
  return later;
}

/** Number literals that do not fit a float64 (1e400, -1e400): JSON.parse reads them as ±Infinity. */
export function nonFiniteNumbers(root: Node): Node[] {
  const found: Node[] = [];
  const visit = (node: Node): void => {
    if (node.type === 'number' && !Number.isFinite(node.value)) found.push(node);
    for (const child of node.children ?? []) visit(child);
  };
  visit(root);
  return found;
}

/** The dotted field path of a node, e.g. "training.iterations". */
export const fieldOf = (node: Node): (string | number)[] => getNodePath(node);

export class DiagnosticBuilder {
  readonly items: Diagnostic[] = [];
  constructor(
    private readonly text: string,
    private readonly root: Node | undefined,
  ) {}

  /** Adds a diagnostic located at the value of `path` (or its key when `atKey`). */
  add(severity: Diagnostic['severity'], path: (string | number)[], message: string, atKey = false): void {
    let node = this.root ? nodeAt(this.root, path) : undefined;
    // Walk up to the closest existing ancestor when the field itself is absent.
    for (let p = path.slice(0, -1); !node && this.root && p.length >= 0; p = p.slice(0, -1)) {
      node = nodeAt(this.root, p);
      if (p.length === 0) break;
    }
    if (atKey && node?.parent?.type === 'property') node = node.parent.children?.[0];
    const offset = node?.offset ?? 0;
    const length = node?.length ?? 0;
    this.items.push({ severity, field: path.join('.'), message, offset, length, ...lineColumn(this.text, offset) });
  }
}
