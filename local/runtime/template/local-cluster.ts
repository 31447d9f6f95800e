/**
 * The identity the embedded broker takes for an MSK cluster of the assembly: one ARN that the
 * mappings' events, the roles' policies and the broker's IAM checks all use.
 */
import { createHash } from 'node:crypto';
import { LOCAL_ACCOUNT, LOCAL_REGION } from './intrinsics';

/** An MSK cluster of the assembly and the identity the embedded broker takes for it. */
export interface LocalCluster {
  /** `stack/logicalId`. */
  readonly id: string;
  readonly name: string;
  readonly uuid: string;
  /** `arn:aws:kafka:<region>:<account>:cluster/<name>/<uuid>`. */
  readonly arn: string;
}

/**
 * The local identity of an MSK cluster resource. The UUID is derived from the stack and logical id,
 * so one assembly always gives the same ARN (policies, tokens and logs agree from run to run) and
 * two stages of the app never share one. It has the shape of MSK's (a UUID and a `-<n>` suffix), so
 * `Fn::Select [2, Fn::Split ['/', arn]]` takes it apart as CDK's topic and group ARNs expect.
 */
export function localCluster(stack: string, logicalId: string, clusterName: string): LocalCluster {
  const h = createHash('sha256').update(`${stack}/${logicalId}`).digest('hex');
  const variant = ((parseInt(h[16], 16) & 0x3) | 0x8).toString(16);
  const uuid = `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}-1`;
  return {
    id: `${stack}/${logicalId}`,
    name: clusterName,
    uuid,
    arn: `arn:aws:kafka:${LOCAL_REGION}:${LOCAL_ACCOUNT}:cluster/${clusterName}/${uuid}`,
  };
}
