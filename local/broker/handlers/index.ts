/**
 * The registration table: every API the broker speaks, by key. ApiVersions advertises exactly these,
 * so a client never sees an API the broker cannot answer.
 */
import { produce } from './00-produce';
import { fetch } from './01-fetch';
import { listOffsets } from './02-list-offsets';
import { metadata } from './03-metadata';
import { offsetCommit } from './08-offset-commit';
import { offsetFetch } from './09-offset-fetch';
import { findCoordinator } from './10-find-coordinator';
import { joinGroup } from './11-join-group';
import { heartbeat } from './12-heartbeat';
import { leaveGroup } from './13-leave-group';
import { syncGroup } from './14-sync-group';
import { describeGroups } from './15-describe-groups';
import { listGroups } from './16-list-groups';
import { saslHandshake } from './17-sasl-handshake';
import { apiVersions } from './18-api-versions';
import { createTopics } from './19-create-topics';
import { deleteTopics } from './20-delete-topics';
import { deleteRecords } from './21-delete-records';
import { initProducerId } from './22-init-producer-id';
import { offsetForLeaderEpoch } from './23-offset-for-leader-epoch';
import { describeConfigs } from './32-describe-configs';
import { alterConfigs } from './33-alter-configs';
import { saslAuthenticate } from './36-sasl-authenticate';
import { createPartitions } from './37-create-partitions';
import { deleteGroups } from './42-delete-groups';
import { incrementalAlterConfigs } from './44-incremental-alter-configs';
import { offsetDelete } from './47-offset-delete';
import { consumerGroupHeartbeat } from './68-consumer-group-heartbeat';
import type { ApiHandler } from './api';

export const HANDLERS: ReadonlyMap<number, ApiHandler> = new Map(
  [
    produce,
    fetch,
    listOffsets,
    metadata,
    offsetCommit,
    offsetFetch,
    findCoordinator,
    joinGroup,
    heartbeat,
    leaveGroup,
    syncGroup,
    describeGroups,
    listGroups,
    saslHandshake,
    apiVersions,
    createTopics,
    deleteTopics,
    deleteRecords,
    initProducerId,
    offsetForLeaderEpoch,
    describeConfigs,
    alterConfigs,
    saslAuthenticate,
    createPartitions,
    deleteGroups,
    incrementalAlterConfigs,
    offsetDelete,
    consumerGroupHeartbeat,
  ].map((h) => [h.key, h]),
);
