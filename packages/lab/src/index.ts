// Real HA components on one machine, for tests and the `dalp lab` command. Every server runs as a child
// process on loopback, on free ports, in a temp directory, and is killed at process exit at the latest.
export { type EtcdOptions, type EtcdServer, startEtcd } from './etcd.ts';
export {
  type Frontend,
  type Haproxy,
  type HaproxyOptions,
  type HttpBackend,
  haproxyCommand,
  type PostgresBackend,
  renderHaproxyConfig,
  type ServerState,
  startHaproxy,
} from './haproxy.ts';
export {
  ARCHIVE_TIMEOUT_SECONDS,
  type ArchiveLag,
  archiveLag,
  BACKUP_TYPES,
  type BackupInfo,
  type BackupType,
  type BaseBackup,
  parseBackupInfo,
  pgbackrest,
  walSegmentNumber,
} from './lab/backup.ts';
export { type LaunchSpec, type ReplicaRunner, SOURCE_RUNNER } from './lab/components.ts';
export { LabUsageError } from './lab/errors.ts';
export {
  type BackupStatus,
  type ComponentStatus,
  downLab,
  Lab,
  type LabEndpoints,
  type LabRoles,
  type LabStatus,
  STATUS_VERSION,
} from './lab/lab.ts';
export { formatLogLine, type LogLine, lineTime } from './lab/logs.ts';
export type { BucketRestore } from './lab/objects.ts';
export { pgbackrestTime, RecoveryError, type RestoredInstance } from './lab/restore.ts';
export type { ComponentState, LabSettings, LabState } from './lab/state.ts';
export {
  type ComponentKind,
  DEFAULT_TIMINGS,
  type LabShape,
  type LabTimings,
  OBJECT_STORES,
  type ObjectStoreKind,
  objectStoreOf,
  planTopology,
  SHAPE_LIMITS,
} from './lab/topology.ts';
export {
  ADMIN_KEY_FILE,
  assertRoot,
  DEFAULT_DIR,
  LabUpError,
  type ProgressEvent,
  type StartOptions,
} from './lab/up.ts';
export {
  type PatroniCluster,
  type PatroniMember,
  type PatroniOptions,
  patroniFrontend,
  type ReplicationState,
  startPatroniCluster,
} from './patroni.ts';
export { freePort, freePorts } from './ports.ts';
export { type PostgresOptions, type PostgresServer, type SslMode, startPostgres } from './postgres.ts';
export {
  cleanupAll,
  killGroup,
  type ManagedProcess,
  makeTempDir,
  type ProcessRef,
  pidAlive,
  refState,
  registerCleanup,
  spawnManaged,
  type TempDir,
  TIMED_OUT,
  type WaitOptions,
  waitFor,
  withTimeout,
} from './processes.ts';
export {
  type Address,
  type RedisOptions,
  type RedisSentinelSet,
  type RedisServer,
  type Sentinel,
  type SentinelOptions,
  startRedis,
  startRedisSentinel,
  withRedisClient,
} from './redis.ts';
export { type S3Options, S3RVER_CREDENTIALS, type S3Server, startS3 } from './s3.ts';
export { type Certificates, createCertificates } from './tls.ts';
