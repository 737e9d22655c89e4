import type { LiveState } from '../live.ts';

export function LiveIndicator({ state, liveHint }: { state: LiveState; liveHint?: string }) {
  const text = {
    connecting: 'Connecting…',
    live: 'Live',
    reconnecting: 'Reconnecting…',
    offline: 'Live updates stopped; reload to resume',
    unsupported: 'Live updates unavailable',
  }[state];
  return (
    <p className={`live live-${state}`} role="status" title={state === 'live' ? liveHint : undefined}>
      <span className="live-dot" aria-hidden="true" />
      {text}
    </p>
  );
}
