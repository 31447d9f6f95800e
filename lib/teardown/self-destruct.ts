import { Arn, Aspects, Aws, CfnResource, Duration, Stack, Validations, type IAspect } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct, type IConstruct } from 'constructs';
import { BundledFunction } from '../lambda/bundled-function';

/** Properties of a stack's self-destruct. */
export interface SelfDestructProps {
  /** When the stack may be deleted: the instant of its `expires-at` tag. */
  readonly expiresAt: string;
  /**
   * Names of stacks that import from this one; the stack is deleted only once they are gone.
   * @default - none
   */
  readonly waitFor?: readonly string[];
  /**
   * How often the function checks. Each check is one short invocation.
   * @default Duration.minutes(15)
   */
  readonly interval?: Duration;
}

/**
 * Deletes the stack it is in once `expiresAt` has passed: a schedule invokes a function that calls
 * DeleteStack on its own stack (see functions/self-destruct).
 *
 * The function may delete only its own stack. CloudFormation carries out the deletion with the stack's
 * service role (the CDK's CloudFormation execution role), which a caller may use without being allowed
 * to pass it, so the function needs no rights over the stack's resources.
 *
 * Every other resource of the stack depends on this construct, so CloudFormation deletes the function
 * and its schedule last. If a resource refuses deletion (a subnet still holding Lambda's network
 * interfaces), the stack stops in DELETE_FAILED with the function still there, and the next run retries.
 */
export class SelfDestruct extends Construct {
  /** The function that deletes the stack. */
  public readonly function: BundledFunction;
  /** The schedule that invokes it. */
  public readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: SelfDestructProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const waitFor = props.waitFor ?? [];
    const interval = props.interval ?? Duration.minutes(15);

    this.function = new BundledFunction(this, 'Function', {
      handlerFolder: 'self-destruct',
      description: `Deletes this stack after ${props.expiresAt}`,
      memorySize: 256,
      environment: {
        STACK_ID: Aws.STACK_ID,
        EXPIRES_AT: props.expiresAt,
        WAIT_FOR_STACKS: waitFor.join(','),
      },
    });
    this.function.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['cloudformation:DescribeStacks', 'cloudformation:DeleteStack'],
        resources: [Aws.STACK_ID],
      }),
    );
    if (waitFor.length > 0) {
      this.function.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['cloudformation:DescribeStacks'],
          resources: waitFor.map((name) =>
            Arn.format({ service: 'cloudformation', resource: 'stack', resourceName: `${name}/*` }, stack),
          ),
        }),
      );
      for (const name of waitFor) {
        Validations.of(this.function.role!).acknowledge({
          id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:cloudformation:<AWS::Region>:<AWS::AccountId>:stack/${name}/*]`,
          reason:
            'a stack ARN ends in an id CloudFormation makes up at creation; the statement names the stack ' +
            'and only allows DescribeStacks, to see whether the stacks that import from this one are gone',
        });
      }
    }

    this.rule = new events.Rule(this, 'Schedule', {
      description: `Checks every ${interval.toHumanString()} whether ${stack.stackName} has expired`,
      schedule: events.Schedule.rate(interval),
      targets: [new targets.LambdaFunction(this.function, { retryAttempts: 2 })],
    });

    Aspects.of(stack).add(new DependOn(this));
  }
}

/** Makes every resource outside `target` depend on it, so CloudFormation deletes `target` last. */
class DependOn implements IAspect {
  constructor(private readonly target: Construct) {}

  visit(node: IConstruct): void {
    if (!CfnResource.isCfnResource(node) || node.cfnResourceType === 'AWS::CDK::Metadata') return;
    if (node.node.scopes.includes(this.target)) return;
    node.node.addDependency(this.target);
  }
}
