import { useApi } from './api.ts';
import type { TeamSummary } from './types.ts';

/** GET /api/v1/teams answers `{ items }`; a bare array is accepted too. */
export function useTeams() {
  const resource = useApi<{ items: TeamSummary[] } | TeamSummary[]>('/api/v1/teams');
  const data = resource.data === null ? null : Array.isArray(resource.data) ? resource.data : resource.data.items;
  return { ...resource, data };
}
