import { createHash } from 'node:crypto';

/** What a bearer token stands for: who uses it and which namespaces it may act in (`*`: all). */
export interface TokenGrant {
  readonly subject: string;
  readonly namespaces: readonly string[];
}

/** Tokens are stored only as their SHA-256: a leaked table does not leak credentials. */
export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** The token in an `Authorization: Bearer <token>` header, if there is one. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}

/** Paths anyone with a valid token may read: discovery and schema, which kubectl needs first. */
const discoveryPaths = [
  '/api',
  '/api/v1',
  '/apis',
  '/version',
  '/openapi/v2',
  '/openapi/v3',
  '/openapi/v3/*',
];

/**
 * The API paths a grant opens, as path patterns (`*` matches within the rest of the path): all
 * of them for a cluster-wide grant; otherwise discovery plus everything under its namespaces.
 * Cluster-scoped resources (nodes, all namespaces' pods, the namespace list) stay closed to a
 * namespaced grant, as a RoleBinding would leave them.
 */
export function allowedPaths(grant: TokenGrant): string[] {
  if (grant.namespaces.includes('*')) return ['/*'];
  return [
    ...discoveryPaths,
    ...grant.namespaces.flatMap((ns) => [`/api/v1/namespaces/${ns}`, `/api/v1/namespaces/${ns}/*`]),
  ];
}

/** The Forbidden message, the same from the local gateway and API Gateway's response template. */
export const forbiddenMessage = (subject: string) =>
  `forbidden: User "${subject}" may not act outside the namespaces its token grants`;

export interface AuthorizerPolicy {
  readonly principalId: string;
  readonly policyDocument: {
    readonly Version: '2012-10-17';
    readonly Statement: readonly {
      readonly Action: string;
      readonly Effect: 'Allow';
      readonly Resource: readonly string[];
    }[];
  };
  readonly context: Readonly<Record<string, string>>;
}

/**
 * The policy a TOKEN authorizer returns for a grant: Allow on the method ARNs of every path the
 * grant opens, any method. API Gateway caches it per token and denies everything else (403).
 */
export function policyFor(grant: TokenGrant, methodArn: string): AuthorizerPolicy {
  // arn:aws:execute-api:<region>:<account>:<api id>/<stage>/<METHOD>/<path...>
  const [prefix = '', stage = ''] = methodArn.split('/');
  const base = `${prefix}/${stage}/*`;
  return {
    principalId: grant.subject,
    policyDocument: {
      Version: '2012-10-17',
      Statement: [
        {
          Action: 'execute-api:Invoke',
          Effect: 'Allow',
          Resource: allowedPaths(grant).map((path) => `${base}${path}`),
        },
      ],
    },
    context: { subject: grant.subject, namespaces: grant.namespaces.join(',') },
  };
}

/** Whether a policy from policyFor allows a method ARN (`*` in a resource matches anything). */
export function policyAllows(policy: AuthorizerPolicy, methodArn: string): boolean {
  return policy.policyDocument.Statement.some((statement) =>
    statement.Resource.some((resource) =>
      new RegExp(
        `^${resource
          .split('*')
          .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
          .join('.*')}$`,
      ).test(methodArn),
    ),
  );
}
