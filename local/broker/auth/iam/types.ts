/** Who a connection or a request acts as: an IAM role (or user) ARN. */
export interface Principal {
  readonly arn: string;
  readonly accessKeyId: string;
}
export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action?: string | readonly string[];
  readonly NotAction?: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly NotResource?: string | readonly string[];
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}
export interface PolicyDocument {
  readonly Version?: string;
  readonly Statement: PolicyStatement | readonly PolicyStatement[];
}
export interface NamedPolicy {
  readonly name: string;
  readonly document: PolicyDocument;
}
export type Decision =
  | { readonly allowed: true; readonly by: NamedPolicy['name']; readonly sid?: string }
  | {
      readonly allowed: false;
      readonly reason: 'explicit-deny' | 'implicit-deny';
      readonly by?: string;
      readonly sid?: string;
    };
/** Decides whether `principal` may do `action` (e.g. kafka-cluster:ReadData) on `resource` (an ARN). */
export interface Authorizer {
  authorize(principal: Principal, action: string, resource: string): Decision;
}
/** Local credentials: access key id → secret and the principal it stands for. */
export interface CredentialStore {
  lookup(
    accessKeyId: string,
  ):
    | { readonly secretAccessKey: string; readonly principalArn: string; readonly sessionToken?: string }
    | undefined;
}
