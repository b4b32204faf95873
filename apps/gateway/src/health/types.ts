export type { Probe, ProbeFactory } from '@brownout/core';
export type { ClusterConfig } from '@brownout/core/config';
