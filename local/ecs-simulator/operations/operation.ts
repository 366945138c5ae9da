import { invalidParameter } from '../errors';
import type { SimulatorState } from '../state';

export type Operation = (state: SimulatorState, request: Record<string, unknown>) => object;

/**
 * Types an operation's request. The body is whatever JSON the client sent; the SDK sends what its
 * models say, so the simulator checks only the members whose absence or range ECS would reject.
 */
export function operation<Request>(run: (state: SimulatorState, request: Request) => object): Operation {
  return (state, request) => run(state, request as Request);
}

export function required<T>(value: T | undefined | null, member: string): T {
  if (value === undefined || value === null || value === '') throw invalidParameter(`${member} is required.`);
  return value;
}
