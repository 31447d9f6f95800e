import type { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { PipelineMonitoring, type PipelineMonitoringProps } from '../../../lib/pipeline/pipeline-monitoring';
import { bareStack, inlineFunction } from './bare-stack';

function monitoring(stack: Stack, props: Partial<PipelineMonitoringProps> = {}) {
  const ingest = inlineFunction(stack, 'Ingest');
  const enrich = inlineFunction(stack, 'Enrich');
  const ledger = inlineFunction(stack, 'Ledger');
  const construct = new PipelineMonitoring(stack, 'Monitoring', {
    dashboardName: 'kw-test-pipeline',
    ingest,
    consumers: [
      { fn: enrich, topic: 'orders' },
      { fn: ledger, topic: 'orders.enriched' },
    ],
    ...props,
  });
  return { construct, enrich, ledger };
}

describe('PipelineMonitoring', () => {
  test('GIVEN two consumers WHEN monitoring is added THEN each gets an alarm when its mapping falls 1000 records behind for 5 minutes', () => {
    const stack = bareStack();
    const { construct, enrich, ledger } = monitoring(stack);
    const template = Template.fromStack(stack);

    expect(construct.lagAlarms).toHaveLength(2);
    for (const [fn, topic] of [
      [enrich, 'orders'],
      [ledger, 'orders.enriched'],
    ] as const) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/Lambda',
        MetricName: 'OffsetLag',
        Dimensions: [{ Name: 'FunctionName', Value: stack.resolve(fn.functionName) }],
        Statistic: 'Maximum',
        Period: 60,
        Threshold: 1000,
        EvaluationPeriods: 5,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
        AlarmDescription: `consumer of ${topic} is more than 1000 records behind for 5 minutes`,
      });
    }
  });

  test('GIVEN two consumers THEN each gets an alarm when invocations fail in 3 of 5 minutes; the ingest function gets none', () => {
    const stack = bareStack();
    const { construct, enrich } = monitoring(stack);
    const template = Template.fromStack(stack);

    expect(construct.errorAlarms).toHaveLength(2);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 4);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: stack.resolve(enrich.functionName) }],
      Threshold: 0,
      EvaluationPeriods: 5,
      DatapointsToAlarm: 3,
      AlarmDescription: 'consumer of orders failed invocations in 3 of the last 5 minutes',
    });
  });

  test('GIVEN a lag threshold THEN the lag alarms use it', () => {
    const stack = bareStack();
    monitoring(stack, { offsetLagThreshold: 50 });
    Template.fromStack(stack).hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'OffsetLag',
      Threshold: 50,
      AlarmDescription: Match.stringLikeRegexp('more than 50 records behind'),
    });
  });

  test('GIVEN the pipeline THEN one dashboard under the given name shows its flow, dead letters, lag and alarms', () => {
    const stack = bareStack();
    monitoring(stack);
    const template = Template.fromStack(stack);

    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'kw-test-pipeline' });
    const body = JSON.stringify(
      Object.values(template.findResources('AWS::CloudWatch::Dashboard'))[0].Properties.DashboardBody,
    );
    for (const shown of [
      'Orders through the pipeline',
      'OrdersIngested',
      'LedgerApplied',
      'FILL(enrich, 0) + FILL(ledger, 0)',
      'OffsetLag: orders.enriched',
      'Alarms',
    ]) {
      expect(body).toContain(shown);
    }
  });
});
