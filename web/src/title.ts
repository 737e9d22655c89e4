import { useEffect } from 'react';

/** Page titles tell screen reader users (and browser tabs) where a client-side navigation landed. */
export function useTitle(title: string): void {
  useEffect(() => {
    document.title = title ? `${title} · Vigil` : 'Vigil';
  }, [title]);
}
