/**
 * Every message layout by API key: for code that handles whichever API a frame names (the fixture
 * checks, tools). The broker's registration table (local/broker/handlers) is the list it answers.
 */
import { ProduceSchema } from './00-produce';
import { FetchSchema } from './01-fetch';
import { ListOffsetsSchema } from './02-list-offsets';
import { MetadataSchema } from './03-metadata';
import { OffsetCommitSchema } from './08-offset-commit';
import { OffsetFetchSchema } from './09-offset-fetch';
import { FindCoordinatorSchema } from './10-find-coordinator';
import { JoinGroupSchema } from './11-join-group';
import { HeartbeatSchema } from './12-heartbeat';
import { LeaveGroupSchema } from './13-leave-group';
import { SyncGroupSchema } from './14-sync-group';
import { DescribeGroupsSchema } from './15-describe-groups';
import { ListGroupsSchema } from './16-list-groups';
import { SaslHandshakeSchema } from './17-sasl-handshake';
import { ApiVersionsSchema } from './18-api-versions';
import { CreateTopicsSchema } from './19-create-topics';
import { DeleteTopicsSchema } from './20-delete-topics';
import { DeleteRecordsSchema } from './21-delete-records';
import { InitProducerIdSchema } from './22-init-producer-id';
import { OffsetForLeaderEpochSchema } from './23-offset-for-leader-epoch';
import { DescribeConfigsSchema } from './32-describe-configs';
import { AlterConfigsSchema } from './33-alter-configs';
import { SaslAuthenticateSchema } from './36-sasl-authenticate';
import { CreatePartitionsSchema } from './37-create-partitions';
import { DeleteGroupsSchema } from './42-delete-groups';
import { IncrementalAlterConfigsSchema } from './44-incremental-alter-configs';
import { OffsetDeleteSchema } from './47-offset-delete';
import { ConsumerGroupHeartbeatSchema } from './68-consumer-group-heartbeat';
import type { ApiSchema } from '../schema';

export const MESSAGE_SCHEMAS: ReadonlyMap<number, ApiSchema> = new Map(
  [
    ProduceSchema,
    FetchSchema,
    ListOffsetsSchema,
    MetadataSchema,
    OffsetCommitSchema,
    OffsetFetchSchema,
    FindCoordinatorSchema,
    JoinGroupSchema,
    HeartbeatSchema,
    LeaveGroupSchema,
    SyncGroupSchema,
    DescribeGroupsSchema,
    ListGroupsSchema,
    SaslHandshakeSchema,
    ApiVersionsSchema,
    CreateTopicsSchema,
    DeleteTopicsSchema,
    DeleteRecordsSchema,
    InitProducerIdSchema,
    OffsetForLeaderEpochSchema,
    DescribeConfigsSchema,
    AlterConfigsSchema,
    SaslAuthenticateSchema,
    CreatePartitionsSchema,
    DeleteGroupsSchema,
    IncrementalAlterConfigsSchema,
    OffsetDeleteSchema,
    ConsumerGroupHeartbeatSchema,
  ].map((schema): [number, ApiSchema] => [schema.request.apiKey, schema]),
);
