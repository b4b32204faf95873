'use client';
import { useActionState } from 'react';
import { setFallbackSchemaAction } from '../actions/set-fallback-schema.ts';

export function SchemaForm({ route, schema, canEdit }: { route: string; schema: string; canEdit: boolean }) {
  const [state, action, pending] = useActionState(setFallbackSchemaAction, null);
  return (
    <form action={action} className="panel">
      <h2>JSON Schema for the body (optional)</h2>
      <input type="hidden" name="route" value={route} />
      <textarea name="schema" rows={5} className="mono" defaultValue={state?.values?.schema ?? schema} placeholder='{"type":"object","required":["products"]}' style={{ width: '100%' }} />
      {state?.fields?.schema && <span className="field-error">{state.fields.schema}</span>}
      <div className="row">
        <button type="submit" disabled={!canEdit || pending}>
          Save schema
        </button>
        {state && <span className={state.ok ? 'ok' : 'bad'}>{state.message}</span>}
      </div>
    </form>
  );
}
