export const KERNELS: Record<string, string>;
export const VARIANTS: Record<string, string>;
export function compileKernel(name: string, variant?: string): Promise<Uint8Array<ArrayBuffer>>;
export function compileVariants(name: string): Promise<Uint8Array<ArrayBuffer>[]>;
export function generatedSource(name: string, binaries: Uint8Array[]): string;
