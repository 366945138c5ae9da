export declare const streamingSymbol: unique symbol;
export declare const preludeDelimiter: Uint8Array;
export declare function installResponseStreaming(): void;
export declare function isStreamingHandler(handler: unknown): boolean;
