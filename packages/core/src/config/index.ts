export * from './schema.ts';
export * from './load-config.ts';
export { CONFIG_SCHEMA_PATH, configJsonSchema } from './json-schema.ts';
