import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import type { TableDefinition } from '../functions/wiring';

export interface StoreProps {
  /** Every table the wiring declares; each becomes one DynamoDB table. */
  readonly tables: readonly TableDefinition[];
}

/** DynamoDB playing etcd: the tables declared in functions/wiring.ts. */
export class Store extends Construct {
  private readonly tables = new Map<string, dynamodb.Table>();

  constructor(scope: Construct, id: string, props: StoreProps) {
    super(scope, id);
    for (const definition of props.tables) {
      this.tables.set(definition.id, tableFromDefinition(this, definition));
    }
  }

  /** The table built for a wiring definition; throws if the stack never built it. */
  table(definition: TableDefinition): dynamodb.Table {
    const table = this.tables.get(definition.id);
    if (!table) {
      throw new Error(`Table '${definition.id}' is used by the wiring but not passed to Store`);
    }
    return table;
  }
}

// The wiring's keys carry no type: every key podplane writes (`<resource>/<namespace>`, names,
// uids) is a string.
const stringAttribute = (name: string): dynamodb.Attribute => ({ name, type: dynamodb.AttributeType.STRING });

// A regional AWS::DynamoDB::Table rather than TableV2's AWS::DynamoDB::GlobalTable: podplane is
// single-region, and LocalStack's CloudFormation deploys plain tables reliably where global
// tables have failed (localstack/localstack#12811), which `npm run deploy:local` relies on.
function tableFromDefinition(scope: Construct, definition: TableDefinition): dynamodb.Table {
  const table = new dynamodb.Table(scope, definition.id, {
    partitionKey: stringAttribute(definition.partitionKey),
    sortKey: stringAttribute(definition.sortKey),
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    stream: dynamodb.StreamViewType[definition.stream],
    timeToLiveAttribute: definition.timeToLiveAttribute,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    // The table is the cluster's state (etcd): deleting the stack must not delete the pods'
    // records. Deletion protection stays off so a deliberate `aws dynamodb delete-table` works.
    deletionProtection: false,
    removalPolicy: RemovalPolicy.RETAIN,
  });
  for (const index of definition.indexes) {
    table.addGlobalSecondaryIndex({
      indexName: index.name,
      partitionKey: stringAttribute(index.partitionKey),
      ...(index.sortKey
        ? {
            sortKey: {
              name: index.sortKey.name,
              type:
                index.sortKey.type === 'number'
                  ? dynamodb.AttributeType.NUMBER
                  : dynamodb.AttributeType.STRING,
            },
          }
        : {}),
      projectionType: dynamodb.ProjectionType[index.projection],
      ...(index.nonKeyAttributes ? { nonKeyAttributes: [...index.nonKeyAttributes] } : {}),
    });
  }
  return table;
}
