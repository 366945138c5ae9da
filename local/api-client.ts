import { type Agent, request } from 'node:https';

export interface ApiClientOptions {
  readonly url: string;
  /** The control plane's CA (PEM), or an agent that already trusts it. */
  readonly ca?: Buffer | string;
  readonly agent?: Agent;
  readonly token?: string;
}

export interface ApiReply {
  readonly status: number;
  readonly body: string;
}

/** One HTTPS call to a podplane API, trusting its CA and sending its bearer token, as curl would. */
export function callApi(
  client: ApiClientOptions,
  method: string,
  path: string,
  body?: { readonly text: string; readonly contentType?: string },
): Promise<ApiReply> {
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(path, client.url),
      {
        method,
        ...(client.agent ? { agent: client.agent } : { ca: client.ca }),
        headers: {
          ...(client.token ? { authorization: `Bearer ${client.token}` } : {}),
          // With a length: Node sends a DELETE's body neither chunked nor delimited otherwise.
          ...(body
            ? {
                'content-type': body.contentType ?? 'application/json',
                'content-length': Buffer.byteLength(body.text),
              }
            : {}),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          text += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    if (body) req.write(body.text);
    req.end();
  });
}
