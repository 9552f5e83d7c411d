// Checked by `pnpm typecheck` (tsc over packages/*/test): every provider-SPI name comes from '@meridian/core/spi',
// and the application entry no longer has them.
/* eslint-disable @typescript-eslint/no-unused-vars */
import {
  CollectCallbacks,
  EMPTY_SUMMARY,
  FencingGate,
  MAX_KEY_BYTES,
  MERKLE_LEAF_DEPTH,
  MERKLE_MAX_BITS,
  MERKLE_TREE_VERSION,
  METRICS_METHODS,
  OperationHandle,
  SNAPSHOT_KEY_PATTERN,
  SYNC_PROTOCOL_VERSION,
  TokenBucket,
  TypedEmitter,
  checkKey,
  checkKeys,
  checkNodes,
  checkRecord,
  checkRecording,
  checkScan,
  checkWrites,
  childrenOf,
  decodeBatch,
  defineMetric,
  encodeBatch,
  guardMetrics,
  hasMethods,
  invalidConfig,
  isMetrics,
  keyHash,
  fingerprintOf,
  hashInNode,
  isFingerprint,
  isSummary,
  leafOf,
  merkleSummaries,
  metricConflict,
  nodeName,
  parseNode,
  parseOptions,
  parseStoredRecord,
  recordEtag,
  resolveRegionConfigs,
  runSteps,
  sameMetric,
  seriesKey,
  throwIfAborted,
  toRecord,
  validateTrafficWeights,
  xorFingerprints,
  type ConfigIssue,
  type EncodeOptions,
  type EncodedBatch,
  type MerkleNode,
  type OptionsSchema,
  type SchemaFailure,
  type SchemaIssue,
  type SchemaResult,
  type SchemaSuccess,
  type SkippedStep,
  type Step,
  type StepsOutcome,
  type TokenBucketOptions,
} from '@meridian/core/spi';
// Application names stay in the main entry.
import { FailoverManager, HealthMonitor, MeridianError, TrafficRouter, TrustedProxies, type Clock, type RegionProvider } from '@meridian/core';
// @ts-expect-error moved to '@meridian/core/spi'
import { parseOptions as parseOptionsFromMain } from '@meridian/core';
// @ts-expect-error moved to '@meridian/core/spi'
import { FencingGate as FencingGateFromMain } from '@meridian/core';
// @ts-expect-error moved to '@meridian/core/spi'
import { runSteps as runStepsFromMain } from '@meridian/core';
// @ts-expect-error moved to '@meridian/core/spi'
import { checkRecord as checkRecordFromMain } from '@meridian/core';
// @ts-expect-error moved to '@meridian/core/spi'
import { TypedEmitter as TypedEmitterFromMain } from '@meridian/core';
// @ts-expect-error moved to '@meridian/core/spi'
import type { ConfigIssue as ConfigIssueFromMain } from '@meridian/core';
// @ts-expect-error the application entry does not re-export the SPI
import { MeridianError as MeridianErrorFromSpi } from '@meridian/core/spi';

// A provider built from both entries type-checks: the SPI helpers accept the main entry's types.
const issue: ConfigIssue = { path: 'regions', message: 'must not be empty', value: '[]' };
export const error: MeridianError = invalidConfig('My provider options', [issue]);
export const weights = (provider: RegionProvider): ReturnType<typeof validateTrafficWeights> => validateTrafficWeights({ a: 1 }, ['a']);
export const gate = (clock: Clock): FencingGate | undefined => (clock ? undefined : undefined);
export const used = [FailoverManager, HealthMonitor, TrafficRouter, TrustedProxies, OperationHandle, TypedEmitter, TokenBucket, CollectCallbacks];
