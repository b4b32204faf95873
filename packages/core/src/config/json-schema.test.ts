import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { CONFIG_SCHEMA_PATH, configJsonSchema } from './json-schema.ts';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const committed = JSON.parse(readFileSync(ROOT + CONFIG_SCHEMA_PATH, 'utf8')) as Record<string, unknown>;
const validate = new Ajv2020({ strict: false, allErrors: true }).compile(committed);

describe('the config JSON Schema for editors', () => {
  it('is in sync with the zod schema (run `npm run schema` after changing it)', () => {
    assert.deepEqual(committed, JSON.parse(JSON.stringify(configJsonSchema())));
  });

  it('accepts the examples, which point editors at it', () => {
    for (const name of ['demo.yaml', 'gateway.yaml']) {
      const text = readFileSync(`${ROOT}examples/${name}`, 'utf8');
      assert.match(text, /^# yaml-language-server: \$schema=\.\.\/schema\/brownout-config\.schema\.json$/m, name);
      assert.equal(validate(parse(text)), true, `${name}: ${JSON.stringify(validate.errors)}`);
    }
  });

  it('flags what an editor should underline: wrong types, unknown keys, values out of range', () => {
    assert.equal(validate({ listener: { port: 'eighty' } }), false);
    assert.equal(validate({ clusters: [{ name: 'a', hosts: ['h:1'], lb_polcy: 'ROUND_ROBIN' }] }), false);
    assert.equal(validate({ clusters: [{ name: 'a', hosts: ['h:1'], outlier_detection: { max_ejection_percent: 150 } }] }), false);
  });
});
