export function configTable(schema?: unknown): string;
export function dataKindsTable(schema?: unknown): string;
export function protocolReference(schema?: unknown): string;
export function withBlock(text: string, name: string, content: string): string;
/** [relative path, current text, up-to-date text] of docs/config.md and docs/protocol.md. */
export function generatedDocs(): [string, string, string][];
