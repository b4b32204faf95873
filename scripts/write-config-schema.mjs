// `npm run schema`: writes the config's JSON Schema (generated from the zod schema in
// @brownout/core, built first) to the path the examples and editors use. A core test fails when the
// committed file is out of date.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONFIG_SCHEMA_PATH, configJsonSchema } from '@brownout/core/config';

const root = fileURLToPath(new URL('..', import.meta.url));
const file = join(root, CONFIG_SCHEMA_PATH);
mkdirSync(dirname(file), { recursive: true });
writeFileSync(file, `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
process.stdout.write(`wrote ${CONFIG_SCHEMA_PATH}\n`);
