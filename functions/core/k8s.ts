/** The Kubernetes object types podplane serves, from the maintained `kubernetes-types` package. */
export type {
  Container,
  ContainerStatus,
  Namespace,
  Node,
  Pod,
  PodCondition,
  PodSpec,
  PodStatus,
  ResourceRequirements,
} from 'kubernetes-types/core/v1';
export type { ObjectMeta } from 'kubernetes-types/meta/v1';
