export const PROTOCOL_TYPES_FILE: string;
export function protocolTypes(): Promise<string>;
