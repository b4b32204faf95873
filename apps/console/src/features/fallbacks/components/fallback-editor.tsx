'use client';
import { useActionState, useState } from 'react';
import { GrpcStatus } from '@brownout/core';
import type { ActionState } from '@/features/action-state.ts';
import { saveFallbackAction } from '../actions/save-fallback.ts';
import { parseHeaderLines } from '../header-lines.ts';
import { previewFallback } from '../preview.ts';

export interface Draft {
  readonly status: string;
  readonly contentType: string;
  readonly headers: string;
  readonly body: string;
  readonly grpcStatus: string;
  readonly grpcMessage: string;
  readonly grpcResponse: string;
}

/** gRPC status codes by number, for the picker. */
const GRPC_STATUSES = Object.entries(GrpcStatus).sort((a, b) => a[1] - b[1]);

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
  const [draft, setDraft] = useState<Draft>({
    status: v?.status ?? initial.status,
    contentType: v?.contentType ?? initial.contentType,
    headers: v?.headers ?? initial.headers,
    body: v?.body ?? initial.body,
    grpcStatus: v?.grpcStatus ?? initial.grpcStatus,
    grpcMessage: v?.grpcMessage ?? initial.grpcMessage,
    grpcResponse: v?.grpcResponse ?? initial.grpcResponse,
  });
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
        <fieldset className="field">
          <legend>For gRPC callers (a gRPC client cannot read the HTTP answer above)</legend>
          <div className="row">
            <label className="field">
              <span>gRPC status</span>
              <select name="grpcStatus" value={draft.grpcStatus} onChange={set('grpcStatus')}>
                <option value="">none: refuse the call (UNAVAILABLE)</option>
                {GRPC_STATUSES.map(([name, code]) => (
                  <option key={code} value={String(code)}>
                    {code} {name}
                  </option>
                ))}
              </select>
              <FieldError state={state} name="grpcStatus" />
            </label>
            <label className="field" style={{ flex: 1 }}>
              <span>grpc-message</span>
              <input name="grpcMessage" value={draft.grpcMessage} onChange={set('grpcMessage')} />
              <FieldError state={state} name="grpcMessage" />
            </label>
          </div>
          <label className="field">
            <span>Response message, serialized and base64 (with status 0 OK only; at most 64 KiB)</span>
            <textarea name="grpcResponse" rows={2} value={draft.grpcResponse} onChange={set('grpcResponse')} className="mono" />
            <FieldError state={state} name="grpcResponse" />
          </label>
        </fieldset>
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
        <pre className="wire" data-testid="preview-grpc">
          {draft.grpcStatus === ''
            ? 'gRPC callers: grpc-status: 14 (UNAVAILABLE), no fallback could answer'
            : `gRPC callers: grpc-status: ${draft.grpcStatus} (${GRPC_STATUSES.find(([, c]) => String(c) === draft.grpcStatus)?.[0] ?? '?'})${draft.grpcMessage === '' ? '' : `, grpc-message: ${draft.grpcMessage}`}${draft.grpcResponse === '' ? '' : `, one response message of ${String(Math.floor((draft.grpcResponse.replace(/=+$/, '').length * 3) / 4))} bytes`}`}
        </pre>
        {'error' in lines && <p className="field-error">Headers not shown: {lines.error}</p>}
        <p className="small">The gateway also sends date and connection. Shown for an operator switch to default at global level {level}.</p>
      </div>
    </div>
  );
}
