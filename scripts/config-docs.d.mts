export function configTable(): string;
export function readmeWithTable(readme: string): string;
