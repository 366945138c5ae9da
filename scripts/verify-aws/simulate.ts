import { runSimulation } from '@cloud-copilot/iam-simulate';
import type { RecordedCall } from '../../functions/adapters/call-recorder';
import { type IamRequest, iamRequests } from './requests';
import type { ResolvedStack, Role } from './roles';

/** A request the role would not be allowed to make on AWS. */
export interface Denial {
  readonly principal: string;
  readonly role: string;
  readonly action: string;
  readonly resource: string;
  readonly because: string;
  readonly result: string;
  /** A statement that would allow it, for the person who has to add it. */
  readonly missing: string;
}

export interface SimulationReport {
  /** Distinct principal × action × resource pattern checked. */
  readonly checked: readonly string[];
  readonly denials: readonly Denial[];
  /** Per role, the actions its policies grant that no checked request needed. */
  readonly unusedGrants: Readonly<Record<string, readonly string[]>>;
  /** Calls made outside any function's invocation (a test's own setup): not checked. */
  readonly unattributed: number;
}

/**
 * Functions that run another's handler on another trigger make the same calls: what is recorded
 * for one is checked against both roles. (The ECS simulator emits no container instance events,
 * so containerInstanceEvents never runs locally; its entry is node sync's handler.)
 */
export const sameHandlerAs: Readonly<Record<string, string>> = { containerInstanceEvents: 'nodeSync' };

/** Ids AWS makes (task ids, content-hash families) vary per run; their pattern is what is checked. */
export const resourcePattern = (resource: string) => resource.replace(/[0-9a-f]{16,}/g, '*');

/**
 * Evaluates every request the recorded calls stand for (and the platform's own) against the
 * role that makes it, with AWS's policy evaluation logic (@cloud-copilot/iam-simulate): identity
 * policies as the template gives them, no resource policy, no boundary, no SCP.
 */
export async function simulateCalls(
  calls: readonly RecordedCall[],
  stack: ResolvedStack,
): Promise<SimulationReport> {
  // Evaluated once per distinct request (condition values included); counted per pattern.
  const requests = new Map<string, IamRequest>();
  const checked = new Set<string>();
  let unattributed = 0;
  const add = (request: IamRequest) => {
    const pattern = `${request.principal} ${request.action} ${resourcePattern(request.resource)}`;
    checked.add(pattern);
    const key = `${pattern} ${JSON.stringify(request.context)}`;
    if (!requests.has(key)) requests.set(key, request);
  };
  for (const call of calls) {
    if (call.fn === null) {
      unattributed += 1;
      continue;
    }
    for (const made of iamRequests(call, stack.deployment)) {
      const request = { ...made, principal: stack.servedBy[made.principal] ?? made.principal };
      add(request);
      for (const [twin, of] of Object.entries(sameHandlerAs))
        if (of === request.principal) add({ ...request, principal: twin });
    }
  }
  for (const request of stack.platformRequests) add(request);

  const denials: Denial[] = [];
  const used = new Map<string, Set<string>>();
  for (const request of requests.values()) {
    const role = stack.roles[request.principal];
    if (!role) {
      denials.push(denialOf(request, undefined, 'no role in the template'));
      continue;
    }
    const result = await evaluate(request, role);
    if (result === 'Allowed') {
      const actions = used.get(request.principal) ?? new Set<string>();
      actions.add(request.action.toLowerCase());
      used.set(request.principal, actions);
    } else denials.push(denialOf(request, role, result));
  }
  return {
    checked: [...checked].sort(),
    denials,
    unusedGrants: unusedGrantsOf(stack, used),
    unattributed,
  };
}

async function evaluate(request: IamRequest, role: Role): Promise<string> {
  const out = await runSimulation(
    {
      request: {
        principal: role.arn,
        action: request.action,
        resource: { resource: request.resource, accountId: accountOf(role.arn) },
        contextVariables: { ...request.context },
      },
      identityPolicies: role.statements.map(({ policy, statement }, index) => ({
        name: `${policy}#${index}`,
        policy: { Version: '2012-10-17', Statement: [statement] },
      })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    { simulationMode: 'Strict' },
  );
  if (out.resultType === 'error') return `the simulation refused the request: ${out.errors.message}`;
  return out.overallResult;
}

const accountOf = (arn: string) => arn.split(':')[4] ?? '';

function denialOf(request: IamRequest, role: Role | undefined, result: string): Denial {
  const condition = Object.keys(request.context).length > 0 ? ` with ${JSON.stringify(request.context)}` : '';
  return {
    principal: request.principal,
    role: role?.logicalId ?? '(none)',
    action: request.action,
    resource: request.resource,
    because: request.because,
    result,
    missing: `Allow ${request.action} on ${resourcePattern(request.resource)}${condition}`,
  };
}

/** A granted action no request needed, per role; wildcard actions are listed as written. */
function unusedGrantsOf(stack: ResolvedStack, used: ReadonlyMap<string, ReadonlySet<string>>) {
  const unused: Record<string, string[]> = {};
  for (const [principal, role] of Object.entries(stack.roles)) {
    const needed = used.get(principal) ?? new Set<string>();
    const granted = new Set(
      role.statements
        .filter(({ statement }) => statement.Effect === 'Allow')
        .flatMap(({ statement }) =>
          Array.isArray(statement.Action) ? statement.Action : [statement.Action],
        ),
    );
    const left = [...granted].filter((action) => !needed.has(action.toLowerCase())).sort();
    if (left.length > 0) unused[principal] = left;
  }
  return unused;
}

/** One line per denial, naming what to add: the message `npm test` fails with. */
export function describeDenials(denials: readonly Denial[]): string {
  return denials
    .map(
      (d) =>
        `${d.principal} (role ${d.role}): ${d.because} needs ${d.action} on ${d.resource}: ${d.result}; missing statement: ${d.missing}`,
    )
    .join('\n');
}
