/** @brownout/gateway — placeholder until the gateway issue lands; re-exports the engine version it builds on. */
export { Engine } from '@brownout/core';
