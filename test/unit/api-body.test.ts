import { describe, expect, it } from 'vitest';
import { maxRequestBytes, parseObjectBody } from '../../functions/core/api/body';
import type { ApiRequest } from '../../functions/core/api/http';
import { ApiError } from '../../functions/core/errors';

// The apiserver decodes JSON and YAML bodies by Content-Type, answers 415 for a media type it
// cannot decode, 400 for a body that is empty or not an object, and 413 above its 3 MiB limit
// (MaxRequestBodyBytes, "Request entity too large: limit is 3145728").

const request = (body: string | undefined, contentType?: string): ApiRequest => ({
  method: 'POST',
  path: '/api/v1/namespaces/default/pods',
  query: {},
  headers: contentType ? { 'content-type': contentType } : {},
  ...(body === undefined ? {} : { body }),
});

const failure = (req: ApiRequest) => {
  try {
    parseObjectBody(req);
  } catch (error) {
    if (error instanceof ApiError) return { code: error.code, reason: error.reason, message: error.message };
    throw error;
  }
  throw new Error('expected the body to be refused');
};

const manifestYaml = `apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
    - name: app
      image: nginx:1.27
      ports:
        - containerPort: 80
`;

describe('parseObjectBody', () => {
  it('decodes JSON', () => {
    expect(parseObjectBody(request('{"kind":"Pod","metadata":{"name":"web"}}', 'application/json'))).toEqual({
      kind: 'Pod',
      metadata: { name: 'web' },
    });
  });

  it('decodes JSON when no content type is given, and ignores parameters such as charset', () => {
    expect(parseObjectBody(request('{"a":1}'))).toEqual({ a: 1 });
    expect(parseObjectBody(request('{"a":1}', 'application/json; charset=utf-8'))).toEqual({ a: 1 });
  });

  it.each(['application/yaml', 'application/x-yaml', 'text/yaml', 'Application/YAML'])(
    'decodes YAML sent as %s',
    (type) => {
      expect(parseObjectBody(request(manifestYaml, type))).toEqual({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'web' },
        spec: { containers: [{ name: 'app', image: 'nginx:1.27', ports: [{ containerPort: 80 }] }] },
      });
    },
  );

  it('refuses an empty body with 400', () => {
    expect(failure(request(undefined))).toMatchObject({ code: 400, reason: 'BadRequest' });
    expect(failure(request('  \n'))).toMatchObject({ code: 400, reason: 'BadRequest' });
  });

  it('refuses a media type it cannot decode with 415 UnsupportedMediaType', () => {
    expect(failure(request('name=web', 'application/x-www-form-urlencoded'))).toMatchObject({
      code: 415,
      reason: 'UnsupportedMediaType',
    });
    expect(failure(request('{}', 'text/plain'))).toMatchObject({ code: 415 });
  });

  it('refuses malformed JSON and YAML with 400', () => {
    expect(failure(request('{"kind": "Pod",', 'application/json'))).toMatchObject({
      code: 400,
      reason: 'BadRequest',
    });
    expect(failure(request('metadata: [unclosed', 'application/yaml'))).toMatchObject({ code: 400 });
  });

  it.each([
    ['an array', '[{"kind":"Pod"}]', 'application/json'],
    ['a string', '"Pod"', 'application/json'],
    ['null', 'null', 'application/json'],
    ['a number', '42', 'application/json'],
    ['a YAML scalar', 'just text', 'application/yaml'],
    ['a YAML list', '- a\n- b\n', 'application/yaml'],
  ])('refuses %s where an object is expected with 400', (_what, body, type) => {
    expect(failure(request(body, type))).toMatchObject({ code: 400, reason: 'BadRequest' });
  });

  it('accepts a body of exactly 3 MiB', () => {
    const padding = 'x'.repeat(maxRequestBytes - '{"a":""}'.length);
    const body = `{"a":"${padding}"}`;
    expect(Buffer.byteLength(body)).toBe(3 * 1024 * 1024);
    expect(parseObjectBody(request(body)).a).toHaveLength(padding.length);
  });

  it('refuses a body over 3 MiB with 413 RequestEntityTooLarge, counting bytes not characters', () => {
    // 'é' is two bytes in UTF-8: fewer than 3 Mi characters, more than 3 MiB.
    const body = `{"a":"${'é'.repeat(maxRequestBytes / 2)}"}`;
    expect(body.length).toBeLessThan(maxRequestBytes);
    expect(failure(request(body))).toEqual({
      code: 413,
      reason: 'RequestEntityTooLarge',
      message: 'Request entity too large: limit is 3145728',
    });
  });

  it('does not let YAML aliases blow up into a huge document', () => {
    const bomb = [
      'a: &a ["x","x","x","x","x","x","x","x","x","x"]',
      'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]',
      'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]',
      'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]',
      'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]',
      'f: [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]',
    ].join('\n');
    expect(failure(request(bomb, 'application/yaml'))).toMatchObject({ code: 400 });
  });
});
