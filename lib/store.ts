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
  private readonly tables = new Map<string, dynamodb.TableV2>();

  constructor(scope: Construct, id: string, props: StoreProps) {
    super(scope, id);
    for (const definition of props.tables) {
      this.tables.set(definition.id, tableFromDefinition(this, definition));
    }
  }

  /** The table built for a wiring definition; throws if the stack never built it. */
  table(definition: TableDefinition): dynamodb.TableV2 {
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

// TableV2 synthesizes AWS::DynamoDB::GlobalTable, which LocalStack's CloudFormation has had
// trouble deploying (localstack/localstack#12811). If `deploy:local` fails on it, dynamodb.Table
// takes the same settings here; everything else only sees dynamodb.ITable.
function tableFromDefinition(scope: Construct, definition: TableDefinition): dynamodb.TableV2 {
  return new dynamodb.TableV2(scope, definition.id, {
    partitionKey: stringAttribute(definition.partitionKey),
    sortKey: stringAttribute(definition.sortKey),
    billing: dynamodb.Billing.onDemand(),
    dynamoStream: dynamodb.StreamViewType[definition.stream],
    timeToLiveAttribute: definition.timeToLiveAttribute,
    globalSecondaryIndexes: definition.indexes.map((index) => ({
      indexName: index.name,
      partitionKey: stringAttribute(index.partitionKey),
      projectionType: dynamodb.ProjectionType[index.projection],
    })),
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    // The table is the cluster's state (etcd): deleting the stack must not delete the pods'
    // records. Deletion protection stays off so a deliberate `aws dynamodb delete-table` works.
    deletionProtection: false,
    removalPolicy: RemovalPolicy.RETAIN,
  });
}
