/**
 * `kw ... --cluster-arn` against moto's MSK backend. Moto 5.2.5 creates MSK clusters
 * (CreateClusterV2, serverless or provisioned) but does not implement GetBootstrapBrokers: it
 * answers HTTP 500 ("The get_bootstrap_brokers action has not been implemented"). So kw's
 * resolution of a cluster's brokers cannot be shown against moto; what can be is the path when the
 * control plane fails: kw names the cluster it could not resolve and connects to nothing.
 *
 * The resolution itself stays in test/cli/kafka-commands.test.ts, with the MSK client mocked at the
 * SDK boundary. When moto implements GetBootstrapBrokers, the first test here fails and should become
 * the resolution test (its brokers will not be reachable; kw's unreachable-broker message follows).
 */
import { CreateClusterV2Command, GetBootstrapBrokersCommand, KafkaClient } from '@aws-sdk/client-kafka';
import { main } from '../../cli/main';
import { capture } from '../support/command-io';
import { MOTO_ACCOUNT, startMotoServer, useMotoEnv, type MotoServer } from '../support/moto-server';

describe('kw --cluster-arn against moto', () => {
  let moto: MotoServer;
  let restoreEnv: () => void;
  let msk: KafkaClient;
  let clusterArn: string;

  beforeAll(async () => {
    moto = await startMotoServer();
    restoreEnv = useMotoEnv(moto.env);
    // Moto's 500 is not worth three attempts.
    msk = new KafkaClient({ ...moto.clientConfig, maxAttempts: 1 });
    const created = await msk.send(
      new CreateClusterV2Command({
        ClusterName: 'kw-dev-cluster',
        Serverless: {
          VpcConfigs: [{ SubnetIds: ['subnet-0a', 'subnet-0b'], SecurityGroupIds: ['sg-0a'] }],
          ClientAuthentication: { Sasl: { Iam: { Enabled: true } } },
        },
      }),
    );
    clusterArn = created.ClusterArn!;
  });
  afterAll(async () => {
    msk?.destroy();
    restoreEnv?.();
    await moto?.stop();
  });

  it('moto creates an MSK Serverless cluster but does not implement GetBootstrapBrokers', async () => {
    expect(clusterArn).toMatch(new RegExp(`^arn:aws:kafka:us-east-1:${MOTO_ACCOUNT}:serverless-cluster/`));
    const error = await msk.send(new GetBootstrapBrokersCommand({ ClusterArn: clusterArn })).then(
      () => undefined,
      (e: { $metadata?: { httpStatusCode?: number } }) => e,
    );
    expect(error?.$metadata?.httpStatusCode).toBe(500);
    await expect(
      moto.outputContaining('The get_bootstrap_brokers action has not been implemented'),
    ).resolves.toBeDefined();
  });

  it('GIVEN a cluster whose brokers the control plane will not give THEN kw topics names the cluster and fails', async () => {
    const io = capture();
    expect(await main(['topics', 'list', '--cluster-arn', clusterArn], io)).toBe(1);
    expect(io.stderr).toContain(`kw topics: cannot get the brokers of ${clusterArn}: `);
    expect(io.stdout).toBe('');
  });
});
