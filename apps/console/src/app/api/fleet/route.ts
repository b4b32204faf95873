import { NextResponse } from 'next/server';
import { currentUser } from '@/server/request.ts';
import { fleetMonitor } from '@/features/fleet/monitor.ts';

export const dynamic = 'force-dynamic';

/** The live fleet view the pages poll (read-only; any signed-in role). */
export async function GET(): Promise<NextResponse> {
  if (!(await currentUser())) return NextResponse.json({ error: { code: 'CONSOLE_ERR_UNAUTHENTICATED', message: 'sign in' } }, { status: 401 });
  return NextResponse.json(await fleetMonitor().view(), { headers: { 'cache-control': 'no-store' } });
}
