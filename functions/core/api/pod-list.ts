import type { ApiRequest } from './http';

/** Whether the client asked for a Table (`kubectl get`), as the Accept header says. */
export const wantsTable = (request: ApiRequest) => (request.headers.accept ?? '').includes('as=Table');
