export const account = '123456789012';
export const region = 'eu-west-1';
export const vpcId = 'vpc-0123456789abcdef0';

/**
 * What `cdk synth` would have cached in cdk.context.json for `podplane:vpcId`: a VPC with two
 * public and two private subnets. Tests stay offline because the lookup finds its answer here.
 */
export const vpcLookupContext = {
  [`vpc-provider:account=${account}:filter.vpc-id=${vpcId}:region=${region}:returnAsymmetricSubnets=true`]: {
    vpcId,
    vpcCidrBlock: '10.0.0.0/16',
    ownerAccountId: account,
    availabilityZones: [],
    subnetGroups: ['Public', 'Private'].map((type, g) => ({
      name: type,
      type,
      subnets: ['a', 'b'].map((zone, i) => ({
        subnetId: `subnet-${type.toLowerCase()}-${zone}`,
        cidr: `10.0.${g * 2 + i}.0/24`,
        availabilityZone: `${region}${zone}`,
        routeTableId: `rtb-${type.toLowerCase()}-${zone}`,
      })),
    })),
  },
};
