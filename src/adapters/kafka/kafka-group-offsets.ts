import type { Kafka } from 'kafkajs';
import { FeatureStreamError, userError } from '../../core/errors.js';
import type { PartitionCheckpoint } from '../../ports/event-source.js';

/**
 * Commits checkpoints for a consumer group as the engine's Kafka source commits them: the next
 * offset per partition with `{"v":1,"maxEventTime":…}` metadata (the partition clock), so an
 * engine started with this group resumes there with the same watermark. The group must have no
 * active members: the committer joins it briefly as its only member.
 */
export async function commitGroupCheckpoints(
  kafka: Kafka,
  groupId: string,
  checkpoints: readonly PartitionCheckpoint[],
  timeoutMs = 60_000,
): Promise<void> {
  if (checkpoints.length === 0) return;
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { groups } = await admin.describeGroups([groupId]);
    const state = groups[0]?.state ?? 'Dead';
    const members = groups[0]?.members.length ?? 0;
    if (members > 0 || (state !== 'Empty' && state !== 'Dead' && state !== 'Unknown')) {
      throw userError(
        'KAFKA_GROUP_ACTIVE',
        `consumer group '${groupId}' has ${members} active member(s) (state ${state}); its offsets cannot be set`,
        'stop the engines of that group first, or pass a new group name',
      );
    }
  } finally {
    await admin.disconnect();
  }
  const topics = [...new Set(checkpoints.map((c) => c.topic))];
  const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1_000 });
  try {
    const joined = new Promise<void>((resolve) => {
      consumer.on(consumer.events.GROUP_JOIN, () => resolve());
    });
    await consumer.connect();
    for (const topic of topics) await consumer.subscribe({ topic, fromBeginning: false });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      // Nothing is consumed: the member only exists to commit.
      eachBatch: () => Promise.resolve(),
    });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      joined,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new FeatureStreamError(
                'KAFKA_GROUP_JOIN',
                `could not join consumer group '${groupId}' within ${timeoutMs} ms`,
                { domain: 'external', retriable: true },
              ),
            ),
          timeoutMs,
        );
      }),
    ]).finally(() => clearTimeout(timer));
    consumer.pause(topics.map((topic) => ({ topic })));
    await consumer.commitOffsets(
      checkpoints.map((c) => ({
        topic: c.topic,
        partition: c.partition,
        offset: String(c.nextOffset),
        metadata: JSON.stringify({
          v: 1,
          maxEventTime: Number.isFinite(c.maxEventTime) ? c.maxEventTime : null,
        }),
      })),
    );
  } finally {
    await consumer.disconnect();
  }
}
