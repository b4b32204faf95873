// `npm run openapi -w @brownout/gateway`: writes the admin API's OpenAPI document (the one GET
// /openapi.json serves) to apps/gateway/openapi.json. A test fails when the committed file is stale.
import { writeFileSync } from 'node:fs';
import { adminOpenApi } from '../src/admin/admin-openapi.ts';

writeFileSync(new URL('../openapi.json', import.meta.url), `${JSON.stringify(adminOpenApi(), null, 2)}\n`);
process.stdout.write('wrote apps/gateway/openapi.json\n');
