export const CONFIG_TYPES_FILE: string;
export function configTypes(): Promise<string>;
