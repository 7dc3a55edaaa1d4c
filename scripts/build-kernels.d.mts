export const KERNEL_MODULE: { entry: string; out: string; constant: string };
export const VARIANTS: Record<string, string>;
export function compileKernels(variant?: string): Promise<Uint8Array<ArrayBuffer>>;
export function compileVariants(): Promise<Uint8Array<ArrayBuffer>[]>;
export function generatedSource(binaries: Uint8Array[]): string;
