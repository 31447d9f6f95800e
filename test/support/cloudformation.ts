/** Shapes of CloudFormation answers, for tests that mock the CloudFormation SDK client. */
import { CloudFormationServiceException } from '@aws-sdk/client-cloudformation';

/** What DescribeStacks throws for a stack name that does not exist (or no longer does). */
export function missingStackError(stack: string): CloudFormationServiceException {
  return new CloudFormationServiceException({
    name: 'ValidationError',
    $fault: 'client',
    $metadata: { httpStatusCode: 400 },
    message: `Stack with id ${stack} does not exist`,
  });
}
