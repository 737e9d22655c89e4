import { createContext, useContext } from 'react';
import type { Session } from './types.ts';

export interface SessionContextValue {
  session: Session;
  signOut: () => Promise<void>;
}

export const SessionContext = createContext<SessionContextValue | null>(null);

export function useSession(): SessionContextValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession outside a signed-in layout');
  return value;
}
