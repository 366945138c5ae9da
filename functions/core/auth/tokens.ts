import { createHash } from 'node:crypto';
import { authorizerContext } from './identity';

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

/**
 * Paths every valid token may use: discovery and schema, which kubectl needs first; the health
 * checks (public anyway); and the self-reviews, which only ever tell a caller about itself
 * (as Kubernetes' system:basic-user and system:public-info-viewer roles allow).
 */
const everyTokenPaths = [
  '/api',
  '/api/v1',
  '/apis',
  '/version',
  '/openapi/v2',
  '/openapi/v3',
  '/openapi/v3/*',
  '/healthz',
  '/livez',
  '/readyz',
  '/apis/authentication.k8s.io/v1',
  '/apis/authentication.k8s.io/v1/selfsubjectreviews',
  '/apis/authorization.k8s.io/v1',
  '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
  '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews',
  '/apis/policy/v1',
];

/**
 * The API paths a grant opens, as path patterns (`*` matches within the rest of the path): all
 * of them for a cluster-wide grant; otherwise the paths every token may use plus everything
 * under its namespaces. Cluster-scoped resources (nodes, all namespaces' pods, the namespace
 * list) stay closed to a namespaced grant, as a RoleBinding would leave them.
 *
 * This is the one statement of what a token may do: the authorizer's policy is made from it,
 * and access reviews ask it through grantAllows.
 */
export function allowedPaths(grant: TokenGrant): string[] {
  if (grant.namespaces.includes('*')) return ['/*'];
  return [
    ...everyTokenPaths,
    ...grant.namespaces.flatMap((ns) => [
      `/api/v1/namespaces/${ns}`,
      `/api/v1/namespaces/${ns}/*`,
      `/apis/policy/v1/namespaces/${ns}/*`,
    ]),
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
    context: authorizerContext(grant),
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

/** An API request as the authorizer sees it: a method and a path (no query). */
export interface RequestTarget {
  readonly method: string;
  readonly path: string;
}

/**
 * Whether a grant opens a request, decided exactly as on the request path: the policy the
 * authorizer returns for the grant, matched against the request's method ARN the way API
 * Gateway (or the local gateway) matches it. Access reviews ask this, so a review's answer and
 * the answer the request itself gets cannot drift apart.
 */
export function grantAllows(grant: TokenGrant, request: RequestTarget): boolean {
  const methodArn = `arn:aws:execute-api:review:000000000000:review/review/${request.method}${request.path}`;
  return policyAllows(policyFor(grant, methodArn), methodArn);
}
