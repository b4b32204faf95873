'use server';
import { cookies, headers } from 'next/headers';
import { redirect } from 'next/navigation';
import { z } from 'zod';
import { ready } from '@/server/ready.ts';
import { clientIp, isHttps } from '@/server/request.ts';
import { formValues, type ActionState } from '@/features/action-state.ts';
import { SESSION_COOKIE } from '../session.ts';
import { signIn } from '../sign-in.ts';

const input = z.object({ email: z.string().trim().toLowerCase().min(1, 'enter your email').max(320), password: z.string().min(1, 'enter your password').max(1_000) });

export async function signInAction(_prev: ActionState | null, form: FormData): Promise<ActionState> {
  const p = input.safeParse({ email: form.get('email'), password: form.get('password') });
  if (!p.success) return { ok: false, message: 'Enter your email and password.', values: { email: formValues(form).email ?? '' } };
  const db = await ready();
  const r = await signIn(db, p.data.email, p.data.password, { ip: await clientIp(), userAgent: (await headers()).get('user-agent') });
  if (!r.ok) return { ok: false, message: r.message, values: { email: p.data.email } };
  (await cookies()).set(SESSION_COOKIE, r.token, { httpOnly: true, sameSite: 'lax', secure: await isHttps(), path: '/', expires: r.expiresAt });
  redirect('/');
}
