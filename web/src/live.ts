import { useEffect, useRef, useState } from 'react';
import type { JournalEntry } from './types.ts';

export type LiveState = 'connecting' | 'live' | 'reconnecting' | 'offline' | 'unsupported';

/**
 * Calls `onChange` when journal entries whose kind starts with one of `prefixes` arrive on the
 * live stream, and once after a dropped stream reconnects (changes may have been missed).
 * Entries are coalesced: the first one arms a timer and the ones that follow within `delayMs`
 * ride along, so a burst of evaluations costs one refetch and a steady trickle at most one a delay.
 */
export function useJournalRefresh(prefixes: readonly string[], onChange: () => void, delayMs = 1000): LiveState {
  const [state, setState] = useState<LiveState>('connecting');
  const callback = useRef(onChange);
  callback.current = onChange;
  const key = prefixes.join('\n');

  useEffect(() => {
    if (typeof EventSource === 'undefined') {
      setState('unsupported');
      return;
    }
    const wanted = key.split('\n');
    let timer: ReturnType<typeof setTimeout> | null = null;
    const schedule = () => {
      if (timer) return;
      timer = setTimeout(() => {
        timer = null;
        callback.current();
      }, delayMs);
    };
    const source = new EventSource('/api/v1/journal/stream');
    let dropped = false;
    source.addEventListener('open', () => {
      setState('live');
      if (dropped) {
        dropped = false;
        schedule();
      }
    });
    source.addEventListener('error', () => {
      dropped = true;
      // A closed source (the server refused the stream) does not retry by itself; an open one does.
      setState(source.readyState === EventSource.CLOSED ? 'offline' : 'reconnecting');
    });
    source.addEventListener('journal', (event) => {
      let entry: JournalEntry;
      try {
        entry = JSON.parse((event as MessageEvent<string>).data) as JournalEntry;
      } catch {
        return;
      }
      if (wanted.some((p) => entry.kind.startsWith(p))) schedule();
    });
    return () => {
      source.close();
      if (timer) clearTimeout(timer);
    };
  }, [key, delayMs]);

  return state;
}
