'use client';
import { useActionState, useState } from 'react';
import { shedByLevel, type Priority } from '@brownout/core';
import type { ActionState } from '@/features/action-state.ts';
import type { FleetView, RouteView } from '@/features/fleet/fleet-view.ts';
import { StatusBar } from '@/features/fleet/components/status-bar.tsx';
import { Degradation } from '@/features/fleet/components/fleet-overview.tsx';
import { useFleet } from '@/features/fleet/components/use-fleet.ts';
import { flipRouteAction } from '../actions/flip-route.ts';
import { setGlobalLevelAction } from '../actions/set-global-level.ts';
import { restoreAllAction } from '../actions/restore-all.ts';
import { ROUTE_MODES } from '../route-modes.ts';

const LEVELS = ['0 — nothing shed', '1 — shed low', '2 — shed low and normal', '3 — shed low, normal and high'];
const rps = (r: RouteView): string => (r.rps === null ? '—' : r.rps.toFixed(1));

function Field({ name, label, state, children }: { name: string; label: string; state: ActionState | null; children: React.ReactNode }) {
  const err = state?.fields?.[name];
  return (
    <label className={`field ${err ? 'field-bad' : ''}`}>
      <span>{label}</span>
      {children}
      {err && (
        <span className="field-error" role="alert" data-field-error={name}>
          {err}
        </span>
      )}
    </label>
  );
}

function Result({ state }: { state: ActionState | null }) {
  if (!state) return null;
  return (
    <p className={state.ok ? 'result result-ok' : 'result result-bad'} role="status" data-testid="result">
      {state.ok ? '✓ ' : '✕ '}
      {state.message}
    </p>
  );
}

/*
 * Every type="button" click calls preventDefault: the click re-renders the row synchronously, and
 * React may reuse the clicked element as the Confirm (submit) button before the browser runs the
 * click's default action — which would then submit the form without a confirmation.
 */

/** Reason, ticket, expiry and shadow: asked on every flip. */
function WhyFields({ state, expiry = true }: { state: ActionState | null; expiry?: boolean }) {
  const v = state?.ok === false ? state.values : undefined;
  return (
    <div className="why">
      <Field name="reason" label="Reason (required)" state={state}>
        <input name="reason" defaultValue={v?.reason ?? ''} placeholder="e.g. catalog DB failover, INC-123" maxLength={600} />
      </Field>
      <Field name="ticket" label="Ticket URL" state={state}>
        <input name="ticket" defaultValue={v?.ticket ?? ''} placeholder="https://…" />
      </Field>
      {expiry && (
        <Field name="expiresAt" label="Expires (UTC)" state={state}>
          <input name="expiresAt" type="datetime-local" defaultValue={v?.expiresAt ?? ''} />
        </Field>
      )}
    </div>
  );
}

/**
 * The two-step change: *Review…* shows the blast radius with *Confirm* and *Cancel*. Every
 * type="button" click calls preventDefault (see above).
 */
function ReviewThenConfirm({ reviewing, setReviewing, disabled, pending, confirmLabel, blast, extra }: { reviewing: boolean; setReviewing: (on: boolean) => void; disabled: boolean; pending: boolean; confirmLabel: string; blast: React.ReactNode; extra?: React.ReactNode }) {
  if (!reviewing) {
    return (
      <div className="row">
        <button
          type="button"
          disabled={disabled}
          onClick={e => {
            e.preventDefault();
            setReviewing(true);
          }}
        >
          Review…
        </button>
        {extra}
      </div>
    );
  }
  return (
    <div className="blast" data-testid="blast-radius">
      {blast}
      <div className="row">
        <button type="submit" className="danger" disabled={pending || disabled}>
          {pending ? 'Applying…' : confirmLabel}
        </button>
        <button
          type="button"
          onClick={e => {
            e.preventDefault();
            setReviewing(false);
          }}
        >
          Cancel
        </button>
      </div>
    </div>
  );
}

function RouteRow({ r, disabled }: { r: RouteView; disabled: boolean }) {
  const [state, action, pending] = useActionState(flipRouteAction, null);
  const [mode, setMode] = useState<string>('default');
  const [reviewing, setReviewing] = useState(false);
  const current = r.degradations.find(d => d.source === 'operator');
  return (
    <tr data-route={r.name}>
      <td className="mono">{r.name}</td>
      <td>{r.priority}</td>
      <td className="num">{rps(r)}</td>
      <td>
        <Degradation r={r} />
      </td>
      <td>
        <form action={action} className="flip" onSubmit={() => {
        setReviewing(false);
      }}>
          <input type="hidden" name="route" value={r.name} />
          <ChoiceWithShadow name="mode" label="Mode" state={state} value={mode} onChange={setMode} options={ROUTE_MODES.map(m => [m, m])} />
          <WhyFields state={state} />
          <ReviewThenConfirm
            reviewing={reviewing}
            setReviewing={setReviewing}
            disabled={disabled}
            pending={pending}
            confirmLabel="Confirm"
            blast={
              <>
                <strong>Blast radius:</strong> route <code>{r.name}</code> ({r.priority}, {rps(r)} req/s now) goes from <b>{current ? current.mode : 'normal'}</b> to <b>{mode}</b> on every gateway.
              </>
            }
            extra={
              current && (
                <button
                  type="button"
                  disabled={disabled}
                  onClick={e => {
                    e.preventDefault();
                    setMode('normal');
                    setReviewing(true);
                  }}
                >
                  Restore normal…
                </button>
              )
            }
          />
          <Result state={state} />
          {state?.fields?.route && <p className="field-error">{state.fields.route}</p>}
        </form>
      </td>
    </tr>
  );
}

/** A flip's choice (route mode, global level) and its dry-run box: the same row in both forms. */
function ChoiceWithShadow(p: { name: string; label: string; state: ActionState | null; value: string; onChange: (v: string) => void; options: readonly (readonly [value: string, label: string])[] }) {
  return (
    <div className="row">
      <Field name={p.name} label={p.label} state={p.state}>
        <select name={p.name} value={p.value} onChange={e => {
            p.onChange(e.target.value);
          }}>
          {p.options.map(([value, label]) => (
            <option key={value} value={value}>
              {label}
            </option>
          ))}
        </select>
      </Field>
      <label className="check">
        <input type="checkbox" name="shadow" /> shadow (dry run)
      </label>
    </div>
  );
}

function GlobalLevel({ view, disabled }: { view: FleetView; disabled: boolean }) {
  const [state, action, pending] = useActionState(setGlobalLevelAction, null);
  const [level, setLevel] = useState(String(view.document?.globalLevel ?? 0));
  const [reviewing, setReviewing] = useState(false);
  const n = Number(level);
  const shed = view.routes.filter(r => ['critical', 'high', 'normal', 'low'].includes(r.priority) && shedByLevel(r.priority as Priority, n));
  return (
    <form action={action} className="panel" onSubmit={() => {
        setReviewing(false);
      }}>
      <h2>Global level</h2>
      <p className="muted">Now: level {view.document?.globalLevel ?? 0}. A level sheds whole priority tiers to their degraded mode; critical routes are never shed.</p>
      <ChoiceWithShadow name="level" label="Level" state={state} value={level} onChange={setLevel} options={LEVELS.map((l, i) => [String(i), l])} />
      <WhyFields state={state} expiry={false} />
      <ReviewThenConfirm
        reviewing={reviewing}
        setReviewing={setReviewing}
        disabled={disabled}
        pending={pending}
        confirmLabel={`Confirm level ${n}`}
        blast={
          <>
            <strong>Blast radius at level {n}:</strong>{' '}
            {shed.length === 0 ? 'no route is shed.' : `${shed.length} route${shed.length === 1 ? '' : 's'} shed, ${shed.reduce((sum, r) => sum + (r.rps ?? 0), 0).toFixed(1)} req/s now:`}
            <ul>
              {shed.map(r => (
                <li key={r.name}>
                  <code>{r.name}</code> ({r.priority}, {rps(r)} req/s)
                </li>
              ))}
            </ul>
          </>
        }
      />
      <Result state={state} />
    </form>
  );
}

function RestoreAll({ view, disabled }: { view: FleetView; disabled: boolean }) {
  const [state, action, pending] = useActionState(restoreAllAction, null);
  const [reviewing, setReviewing] = useState(false);
  const overridden = Object.keys(view.switchRoutes);
  return (
    <form action={action} className="panel" onSubmit={() => {
        setReviewing(false);
      }}>
      <h2>Restore normal everywhere</h2>
      <WhyFields state={state} expiry={false} />
      <ReviewThenConfirm
        reviewing={reviewing}
        setReviewing={setReviewing}
        disabled={disabled}
        pending={pending}
        confirmLabel="Confirm restore"
        blast={
          <>
            <strong>Blast radius:</strong> level {view.document?.globalLevel ?? 0} → 0; overrides removed from {overridden.length === 0 ? 'no route' : overridden.join(', ')}.
          </>
        }
      />
      <Result state={state} />
    </form>
  );
}

export function SwitchBoard({ initial, canWrite }: { initial: FleetView; canWrite: boolean }) {
  const { view, fetchedAt, pollError } = useFleet(initial);
  const disabled = !canWrite || !view.reachable;
  return (
    <div>
      <StatusBar view={view} fetchedAt={fetchedAt} pollError={pollError} />
      {!canWrite && <div className="banner banner-warn">Your role is viewer: you can see the switches but not change them.</div>}
      <div className="panels">
        <GlobalLevel view={view} disabled={disabled} />
        <RestoreAll view={view} disabled={disabled} />
      </div>
      <h2>Routes</h2>
      <table className="board" data-testid="board">
        <thead>
          <tr>
            <th>Route</th>
            <th>Priority</th>
            <th className="num">Req/s</th>
            <th>Now</th>
            <th>Change</th>
          </tr>
        </thead>
        <tbody>
          {view.routes.map(r => (
            <RouteRow key={r.name} r={r} disabled={disabled} />
          ))}
        </tbody>
      </table>
    </div>
  );
}
