import { describe, expect, it } from 'vitest';
import { alreadyExists, conflict, type FieldError, invalid, notFound } from '../../functions/core/errors';

// Message shapes and Status details of k8s.io/apimachinery/pkg/api/errors (NewInvalid,
// NewNotFound, NewAlreadyExists, NewConflict).

const imageRequired: FieldError = {
  field: 'spec.containers[0].image',
  reason: 'FieldValueRequired',
  message: 'Required value',
};
const badPolicy: FieldError = {
  field: 'spec.restartPolicy',
  reason: 'FieldValueNotSupported',
  message: 'Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
};

describe('invalid', () => {
  it('formats a single error as `Pod "x" is invalid: <field>: <message>`', () => {
    expect(invalid('Pod', 'x', [imageRequired]).message).toBe(
      'Pod "x" is invalid: spec.containers[0].image: Required value',
    );
  });

  it('formats several errors as a bracketed, comma-separated list', () => {
    expect(invalid('Pod', 'x', [imageRequired, badPolicy]).message).toBe(
      'Pod "x" is invalid: [spec.containers[0].image: Required value, spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"]',
    );
  });

  it('is a 422 Invalid Status whose causes carry field, reason and message', () => {
    const status = invalid('Pod', 'x', [imageRequired, badPolicy]).toStatus();
    expect(status).toMatchObject({
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      reason: 'Invalid',
      code: 422,
      details: {
        name: 'x',
        causes: [
          { field: 'spec.containers[0].image', reason: 'FieldValueRequired', message: 'Required value' },
          { field: 'spec.restartPolicy', reason: 'FieldValueNotSupported', message: badPolicy.message },
        ],
      },
    });
  });

  // NewInvalid puts qualifiedKind.Kind in details.kind: "Pod", not the resource "pods".
  it('names the kind (Pod) in details.kind', () => {
    expect(invalid('Pod', 'x', [imageRequired]).toStatus().details?.kind).toBe('Pod');
  });
});

describe('other Status errors', () => {
  it('reports a missing pod as 404 NotFound naming the resource', () => {
    expect(notFound('pods', 'web').toStatus()).toMatchObject({
      code: 404,
      reason: 'NotFound',
      message: 'pods "web" not found',
      details: { name: 'web', kind: 'pods' },
    });
  });

  it('reports a taken name as 409 AlreadyExists', () => {
    expect(alreadyExists('pods', 'web').toStatus()).toMatchObject({
      code: 409,
      reason: 'AlreadyExists',
      message: 'pods "web" already exists',
      details: { name: 'web', kind: 'pods' },
    });
  });

  it('reports a lost race as 409 Conflict with the apiserver wording', () => {
    expect(conflict('pods', 'web').toStatus()).toMatchObject({
      code: 409,
      reason: 'Conflict',
      message:
        'Operation cannot be fulfilled on pods "web": the object has been modified; please apply your changes to the latest version and try again',
    });
  });
});
