import type { TokenGrant } from './tokens';

/**
 * Who is calling, as the apiserver learns it from the authorizer: the token's subject, the
 * Kubernetes groups that implies, and the namespaces its grant opens (`*`: all).
 */
export interface User {
  readonly username: string;
  readonly groups: readonly string[];
  readonly namespaces: readonly string[];
}

/** Every authenticated caller is in this group, as in Kubernetes. */
export const authenticatedGroup = 'system:authenticated';

/**
 * The user a grant stands for. A cluster-wide grant is what Kubernetes' admin credentials are,
 * a member of system:masters; a namespaced grant adds no group (its namespaces are listed in the
 * user's extra, see userInfoFor).
 */
export function userFor(grant: TokenGrant): User {
  const clusterWide = grant.namespaces.includes('*');
  return {
    username: grant.subject,
    groups: clusterWide ? ['system:masters', authenticatedGroup] : [authenticatedGroup],
    namespaces: grant.namespaces,
  };
}

/** The grant a user acts under, for deciding what it may do. */
export const grantOf = (user: User): TokenGrant => ({ subject: user.username, namespaces: user.namespaces });

/** The `extra` key of a SelfSubjectReview's userInfo that lists the namespaces a token grants. */
export const namespacesExtraKey = 'podplane.dev/namespaces';

/** The userInfo of a SelfSubjectReview (`kubectl auth whoami`). */
export function userInfoFor(user: User): {
  username: string;
  groups: string[];
  extra: Record<string, string[]>;
} {
  return {
    username: user.username,
    groups: [...user.groups],
    extra: { [namespacesExtraKey]: [...user.namespaces] },
  };
}

/**
 * The context a TOKEN authorizer returns beside its policy. API Gateway hands it to the
 * apiserver Lambda as `requestContext.authorizer` (next to `principalId`), and the local gateway
 * does the same. Its values must be strings, numbers or booleans, and it is cached with the
 * policy, so it stays small: the subject and the namespaces, comma-separated (namespace names
 * cannot hold a comma).
 */
export function authorizerContext(grant: TokenGrant): Record<string, string> {
  return { subject: grant.subject, namespaces: grant.namespaces.join(',') };
}

/**
 * The caller an apiserver event's `requestContext.authorizer` names, or undefined when no
 * authorizer ran (the public health paths).
 */
export function userFromAuthorizerContext(context: unknown): User | undefined {
  if (typeof context !== 'object' || context === null) return undefined;
  const { subject, principalId, namespaces } = context as Record<string, unknown>;
  const username = typeof subject === 'string' && subject ? subject : principalId;
  if (typeof username !== 'string' || !username) return undefined;
  return userFor({
    subject: username,
    namespaces: typeof namespaces === 'string' && namespaces ? namespaces.split(',') : [],
  });
}
