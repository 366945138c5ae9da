import { ApiError, badRequest, notFound } from '../errors';
import type { Pod } from '../k8s';
import type { PodRecord, PodStore } from '../ports';
import type { ApiRequest } from './http';

/**
 * The pod subresources that need a connection podplane cannot give: exec, attach and
 * port-forward upgrade the request to a SPDY or WebSocket stream, which an API Gateway REST API
 * does not carry, and proxy needs the API server to reach the pod's network, which a Lambda
 * outside the VPC does not. Each answers a Status saying so and what to use instead: ECS Exec on
 * the pod's task, `kubectl logs`, or Session Manager port forwarding.
 *
 * 400 BadRequest, as kube-apiserver answers a connect it cannot upgrade: kubectl prints the
 * message as `Error from server (BadRequest): ...` (`error: error upgrading connection: ...` for
 * port-forward), so the commands below reach the user as they are.
 */
export type PodConnection = 'exec' | 'attach' | 'portforward' | 'proxy';

const kubectlCommand = { exec: 'exec', attach: 'attach', portforward: 'port-forward' } as const;

const cannot = (connection: PodConnection) =>
  connection === 'proxy'
    ? "podplane cannot proxy to pods: its API server runs in AWS Lambda, outside the pods' network."
    : `podplane cannot run kubectl ${kubectlCommand[connection]}: API Gateway does not upgrade connections to the SPDY or WebSocket stream it needs.`;

const ecsExecNeeds =
  'ECS Exec needs the Session Manager plugin for the AWS CLI and a task started with execute command enabled.';

export async function refusePodConnection(
  connection: PodConnection,
  namespace: string,
  name: string,
  request: ApiRequest,
  deps: { pods: PodStore },
): Promise<never> {
  const record = await deps.pods.getPod(namespace, name);
  if (!record) throw notFound('pods', name);
  const pod = record.pod;
  const task = runningTask(record);
  if (!task) throw refusal(connection, noRunningTask(pod));
  switch (connection) {
    case 'exec': {
      const container = chosenContainer(pod, request.query.container);
      const command = execCommand(request);
      throw refusal(
        connection,
        `Run the command in the pod's ECS task with ECS Exec instead:
  ${ecsExecCommand(task, container, command)}
${ecsExecNeeds}`,
      );
    }
    case 'attach': {
      const container = chosenContainer(pod, request.query.container);
      throw refusal(
        connection,
        `Read the container's output with \`kubectl logs -n ${namespace} ${name} -c ${container}\`, or open a shell in it with ECS Exec:
  ${ecsExecCommand(task, container, '/bin/sh')}
${ecsExecNeeds}`,
      );
    }
    case 'portforward':
    case 'proxy': {
      const asked = request.query.ports?.split(',')[0] || proxiedPort(request.path);
      throw refusal(connection, reachInstead(pod, task, targetPort(pod, asked)));
    }
  }
}

/** The methods kube-apiserver proxies to a pod. */
export const proxyMethods = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/** A route handler for the connection the path names (`.../exec`), or the one given. */
export const refuseConnection =
  (connection?: PodConnection) =>
  (params: Readonly<Record<string, string>>, request: ApiRequest, deps: { pods: PodStore }) =>
    refusePodConnection(
      connection ?? (params.connection as PodConnection),
      params.namespace ?? '',
      params.name ?? '',
      request,
      deps,
    );

const refusal = (connection: PodConnection, instead: string) =>
  new ApiError(400, 'BadRequest', `${cannot(connection)} ${instead}`);

/** The pod's ECS task, while it has one that runs or is about to. */
function runningTask(record: PodRecord): EcsTask | undefined {
  const phase = record.pod.status?.phase;
  if (!record.taskArn || phase === 'Succeeded' || phase === 'Failed') return undefined;
  return parseTaskArn(record.taskArn);
}

function noRunningTask(pod: Pod): string {
  const name = pod.metadata?.name ?? '';
  const phase = pod.status?.phase ?? 'Pending';
  if (phase === 'Succeeded' || phase === 'Failed')
    return `Pod "${name}" has finished (${phase}): it has no running ECS task.`;
  const waiting = pod.status?.containerStatuses?.find((c) => c.state?.waiting)?.state?.waiting?.reason;
  return `Pod "${name}" has no running ECS task yet (${waiting ?? phase}); try again once it is Running.`;
}

/** `?container=`, or the pod's first container as kubectl defaults to; a name not in the pod is 400. */
function chosenContainer(pod: Pod, named: string | undefined): string {
  const containers = pod.spec?.containers ?? [];
  if (!named) return containers[0]?.name ?? '';
  const known = [...containers, ...(pod.spec?.initContainers ?? [])].some((c) => c.name === named);
  if (!known) throw badRequest(`container ${named} is not valid for pod ${pod.metadata?.name ?? ''}`);
  return named;
}

interface EcsTask {
  readonly arn: string;
  readonly region: string;
  readonly cluster: string;
  readonly id: string;
}

/** `arn:aws:ecs:<region>:<account>:task/<cluster>/<id>`: the cluster is the task's own. */
export function parseTaskArn(arn: string): EcsTask {
  const [, , , region = '', , ...resource] = arn.split(':');
  const path = resource.join(':').split('/').slice(1);
  // The old ARN format, `task/<id>`, does not name the cluster.
  const cluster = path.length > 1 ? (path[0] ?? '') : '<cluster>';
  return { arn, region, cluster, id: path.at(-1) ?? arn };
}

/**
 * The command to exec, as one line: kubectl sends each word as its own `command` parameter
 * (`?command=ls&command=-l&command=/`), so the words are joined, each quoted as a shell reads it
 * back; a shell when none is given.
 */
function execCommand(request: ApiRequest): string {
  const repeated = request.queryValues?.command ?? [];
  const words = repeated.length > 0 ? repeated : request.query.command ? [request.query.command] : [];
  return words.length > 0 ? words.map(shellWord).join(' ') : '/bin/sh';
}

/**
 * One word of a command line, as a POSIX shell and ECS Exec read it back (ECS Exec splits the
 * command as a shell does, without running one): bare when it has nothing a shell treats
 * specially, else in single quotes, a quote inside written as `'\''`.
 */
export const shellWord = (word: string) =>
  /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;

export function ecsExecCommand(task: EcsTask, container: string, command: string): string {
  return [
    'aws ecs execute-command',
    ...(task.region ? [`--region ${task.region}`] : []),
    `--cluster ${task.cluster}`,
    `--task ${task.arn}`,
    `--container ${container}`,
    '--interactive',
    `--command ${doubleQuoted(command)}`,
  ].join(' ');
}

/** A shell word in double quotes: `\`, `"`, `$` and backquote escaped. */
const doubleQuoted = (text: string) => `"${text.replace(/[\\"$`]/g, (c) => `\\${c}`)}"`;

interface TargetPort {
  readonly port: string;
  readonly container: string;
}

/** The port asked for (a number or a container port's name), else the pod's first declared one. */
function targetPort(pod: Pod, asked: string | undefined): TargetPort {
  const containers = pod.spec?.containers ?? [];
  const declared = containers.flatMap((c) => (c.ports ?? []).map((p) => ({ ...p, container: c.name })));
  const match = asked
    ? declared.find((p) => String(p.containerPort) === asked || p.name === asked)
    : declared[0];
  return {
    port: match ? String(match.containerPort) : (asked ?? '<port>'),
    container: match?.container ?? containers[0]?.name ?? '',
  };
}

/** Port forwarding without the API server: the pod's IP from inside the VPC, or Session Manager. */
function reachInstead(pod: Pod, task: EcsTask, { port, container }: TargetPort): string {
  const region = task.region ? ` --region ${task.region}` : '';
  const podIP = pod.status?.podIP;
  const direct = podIP ? `Connect to the pod at ${podIP}:${port} from inside its VPC, or forward` : 'Forward';
  const parameters = JSON.stringify({ portNumber: [port], localPortNumber: [port] });
  return `${direct} a port to your machine with Session Manager:
  aws ssm start-session${region} --target ecs:${task.cluster}_${task.id}_<runtime id> --document-name AWS-StartPortForwardingSession --parameters '${parameters}'
where <runtime id> is the container's:
  aws ecs describe-tasks${region} --cluster ${task.cluster} --tasks ${task.arn} --query "tasks[0].containers[?name=='${container}'].runtimeId" --output text`;
}

/** `pods/<name>:<port>/proxy`: the port kubectl's proxy path names, if any. */
function proxiedPort(path: string): string | undefined {
  return /\/pods\/(?:https?:)?[^/:]+:([^/]+)\/proxy(?:\/|$)/.exec(path)?.[1];
}
