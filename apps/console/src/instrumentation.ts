/** Next.js calls this once when the server starts: the fleet sampler runs in the Node.js runtime only. */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== 'nodejs') return;
  const { startSampler } = await import('./features/history/sampler.ts');
  startSampler();
}
