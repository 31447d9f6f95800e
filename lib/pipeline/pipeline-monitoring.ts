import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE } from '../../functions/commons/names';

/** A function fed by a Kafka event source mapping, and the topic it reads. */
export interface MonitoredConsumer {
  /** The consumer function. */
  readonly fn: lambda.IFunction;
  /** The topic its mapping reads; names its alarms and lag graph. */
  readonly topic: string;
}

/** Properties of the pipeline's alarms and dashboard. */
export interface PipelineMonitoringProps {
  /** Dashboard name, unique in the account and region. */
  readonly dashboardName: string;
  /** The HTTP entry function. */
  readonly ingest: lambda.IFunction;
  /** Consumer functions whose lag and errors are watched. */
  readonly consumers: readonly MonitoredConsumer[];
  /**
   * Records a consumer may fall behind before its alarm fires.
   * @default 1000
   */
  readonly offsetLagThreshold?: number;
}

/**
 * Alarms on each consumer's OffsetLag (how far its mapping trails the end of the topic) and errors,
 * and one dashboard with the pipeline's flow: ingested, enriched, applied, dead-lettered.
 */
export class PipelineMonitoring extends Construct {
  /** One alarm per consumer on OffsetLag. */
  public readonly lagAlarms: cloudwatch.Alarm[] = [];
  /** One alarm per consumer on function errors. */
  public readonly errorAlarms: cloudwatch.Alarm[] = [];
  /** The pipeline's dashboard: flow, errors, lag and alarm states. */
  public readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: PipelineMonitoringProps) {
    super(scope, id);
    const threshold = props.offsetLagThreshold ?? 1000;
    // Powertools adds a `service` dimension (POWERTOOLS_SERVICE_NAME, the handler folder) to every metric.
    const business = (service: string, metricName: string, label: string) =>
      new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName,
        dimensionsMap: { service },
        statistic: 'Sum',
        period: Duration.minutes(1),
        label,
      });
    const deadLettered = new cloudwatch.MathExpression({
      expression: 'FILL(enrich, 0) + FILL(ledger, 0)',
      usingMetrics: {
        enrich: business('enrich', 'DeadLettered', 'enrich'),
        ledger: business('ledger', 'DeadLettered', 'ledger'),
      },
      label: 'dead-lettered',
      period: Duration.minutes(1),
    });

    const lagWidgets: cloudwatch.IWidget[] = [];
    for (const { fn, topic } of props.consumers) {
      // Lambda publishes OffsetLag for functions behind Kafka mappings: records between the group's
      // committed offset and the end of the topic.
      const lag = new cloudwatch.Metric({
        namespace: 'AWS/Lambda',
        metricName: 'OffsetLag',
        dimensionsMap: { FunctionName: fn.functionName },
        statistic: 'Maximum',
        period: Duration.minutes(1),
      });
      const consumerId = topic.replace(/[^A-Za-z0-9]/g, '');
      this.lagAlarms.push(
        lag.createAlarm(this, `${consumerId}OffsetLag`, {
          alarmDescription: `consumer of ${topic} is more than ${threshold} records behind for 5 minutes`,
          threshold,
          evaluationPeriods: 5,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      );
      this.errorAlarms.push(
        fn.metricErrors({ period: Duration.minutes(1) }).createAlarm(this, `${consumerId}Errors`, {
          alarmDescription: `consumer of ${topic} failed invocations in 3 of the last 5 minutes`,
          threshold: 0,
          evaluationPeriods: 5,
          datapointsToAlarm: 3,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      );
      lagWidgets.push(
        new cloudwatch.GraphWidget({
          title: `OffsetLag: ${topic}`,
          left: [lag.with({ label: `${topic} lag` })],
          width: 8,
        }),
      );
    }

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', { dashboardName: props.dashboardName });
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Orders through the pipeline',
        width: 12,
        left: [
          business('ingest', 'OrdersIngested', 'ingested'),
          business('enrich', 'OrdersEnriched', 'enriched'),
          business('ledger', 'LedgerApplied', 'applied to ledger'),
        ],
        right: [business('ingest', 'OrdersRejected', 'rejected (400)'), deadLettered],
      }),
      new cloudwatch.GraphWidget({
        title: 'Errors',
        width: 12,
        left: [props.ingest, ...props.consumers.map((c) => c.fn)].map((fn) =>
          fn.metricErrors({ period: Duration.minutes(1) }),
        ),
      }),
    );
    this.dashboard.addWidgets(
      ...lagWidgets,
      new cloudwatch.AlarmStatusWidget({
        title: 'Alarms',
        alarms: [...this.lagAlarms, ...this.errorAlarms],
        width: 8,
      }),
    );
  }
}
