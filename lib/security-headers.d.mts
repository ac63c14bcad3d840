export declare const SECURITY_HEADERS: readonly { key: string; value: string }[];
export declare const API_CSP: string;
export declare function pageCsp(nonce: string, opts?: { dev?: boolean }): string;
export declare function hstsHeader(publicUrl: string | undefined | null): string | null;
