'use client';
import { useActionState, useState } from 'react';
import type { ActionState } from '@/features/action-state.ts';
import { saveFallbackAction } from '../actions/save-fallback.ts';
import { parseHeaderLines } from '../header-lines.ts';
import { previewFallback } from '../preview.ts';

export interface Draft {
  readonly status: string;
  readonly contentType: string;
  readonly headers: string;
  readonly body: string;
}

function FieldError({ state, name }: { state: ActionState | null; name: string }) {
  const e = state?.fields?.[name];
  return e ? (
    <span className="field-error" role="alert" data-field-error={name}>
      {e}
    </span>
  ) : null;
}

/**
 * The editor: a draft and, beside it, exactly what a client will receive for a sample path — the
 * gateway's own body renderer and degradation header (from @brownout/core), recomputed as you type.
 */
export function FallbackEditor({ route, initial, level, statusTexts, maxBytes, canEdit }: { route: string; initial: Draft; level: number; statusTexts: Readonly<Record<string, string>>; maxBytes: number; canEdit: boolean }) {
  const [state, action, pending] = useActionState(saveFallbackAction, null);
  const v = state?.ok === false ? state.values : undefined;
  const [draft, setDraft] = useState<Draft>({ status: v?.status ?? initial.status, contentType: v?.contentType ?? initial.contentType, headers: v?.headers ?? initial.headers, body: v?.body ?? initial.body });
  const [samplePath, setSamplePath] = useState(`/${route}/sample`);
  const set = (k: keyof Draft) => (e: { target: { value: string } }) => {
    setDraft(d => ({ ...d, [k]: e.target.value }));
  };
  const lines = parseHeaderLines(draft.headers);
  const preview = previewFallback(
    { status: Number(draft.status), contentType: draft.contentType, headers: 'headers' in lines ? lines.headers : {}, body: draft.body },
    { path: samplePath, method: 'GET', route, level },
    statusTexts,
  );
  return (
    <div className="editor">
      <form action={action} className="panel">
        <input type="hidden" name="route" value={route} />
        <div className="row">
          <label className="field">
            <span>Status</span>
            <input name="status" value={draft.status} onChange={set('status')} inputMode="numeric" style={{ width: 90 }} />
            <FieldError state={state} name="status" />
          </label>
          <label className="field" style={{ flex: 1 }}>
            <span>Content type (required)</span>
            <input name="contentType" value={draft.contentType} onChange={set('contentType')} />
            <FieldError state={state} name="contentType" />
          </label>
        </div>
        <label className="field">
          <span>Other headers, one &quot;Name: value&quot; per line</span>
          <textarea name="headers" rows={3} value={draft.headers} onChange={set('headers')} className="mono" />
          <FieldError state={state} name="headers" />
        </label>
        <label className="field">
          <span>
            Body ({'{{path}}'}, {'{{method}}'}, {'{{route}}'} are filled in; at most {maxBytes} bytes)
          </span>
          <textarea name="body" rows={10} value={draft.body} onChange={set('body')} className="mono" />
          <FieldError state={state} name="body" />
        </label>
        <label className="field">
          <span>What changed (required)</span>
          <input name="message" defaultValue={v?.message ?? ''} placeholder="e.g. empty catalogue with a retry hint" />
          <FieldError state={state} name="message" />
        </label>
        <button type="submit" disabled={pending || !canEdit}>
          {pending ? 'Saving…' : 'Save as new version'}
        </button>
        {state && (
          <p className={state.ok ? 'result result-ok' : 'result result-bad'} role="status" data-testid="save-result">
            {state.ok ? '✓ ' : '✕ '}
            {state.message}
          </p>
        )}
      </form>
      <div className="panel preview" data-testid="preview">
        <h2>Preview — what a client receives</h2>
        <label className="field">
          <span>Sample path</span>
          <input
            value={samplePath}
            onChange={e => {
              setSamplePath(e.target.value);
            }}
            name="samplePath"
          />
        </label>
        <pre className="wire">
          <span data-testid="preview-status">{preview.statusLine}</span>
          {'\n'}
          <span data-testid="preview-headers">{preview.headers.map(([k, val]) => `${k}: ${val}\n`).join('')}</span>
          {'\n'}
          <span data-testid="preview-body">{preview.body}</span>
        </pre>
        {'error' in lines && <p className="field-error">Headers not shown: {lines.error}</p>}
        <p className="small">The gateway also sends date and connection. Shown for an operator switch to default at global level {level}.</p>
      </div>
    </div>
  );
}
