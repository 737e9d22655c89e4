import type { ReactNode } from 'react';
import { icons } from './icons.tsx';
import { AlertPage } from './pages/Alert.tsx';
import AlertFatigue from './pages/AlertFatigue.tsx';
import { AlertsPage, AlertsShell } from './pages/Alerts.tsx';
import { AuditPage } from './pages/Audit.tsx';
import { CatalogPage } from './pages/Catalog.tsx';
import { ConwayPage } from './pages/Conway.tsx';
import { DeadLettersPage } from './pages/DeadLetters.tsx';
import { EntityPage } from './pages/Entity.tsx';
import { NinesPage } from './pages/Nines.tsx';
import { OverviewPage } from './pages/Overview.tsx';
import { ProbePage } from './pages/Probe.tsx';
import { ProbesPage } from './pages/Probes.tsx';
import { ReportsPage } from './pages/Reports.tsx';
import { SilencesPage } from './pages/Silences.tsx';
import { SloPage } from './pages/Slo.tsx';
import { SlosPage } from './pages/Slos.tsx';
import { TeamPage, TeamsPage } from './pages/Teams.tsx';
import { matchRoute, type Route, route } from './router.tsx';

export interface Section {
  /** Where the nav link goes. */
  path: string;
  label: string;
  icon: ReactNode;
  /** Pages of this section; the nav link is current on any of them. */
  routes: Array<{ route: Route; render: (params: Record<string, string>) => ReactNode }>;
}

/**
 * The app's sections, in nav order. A new feature (SLOs, Alerts, On-call, Incidents, Deploys,
 * Flags) is one entry here: its nav link and its pages.
 */
export const SECTIONS: Section[] = [
  {
    path: '/',
    label: 'Overview',
    icon: icons.overview,
    routes: [{ route: route('/'), render: () => <OverviewPage /> }],
  },
  {
    path: '/slos',
    label: 'SLOs',
    icon: icons.slos,
    routes: [
      { route: route('/slos'), render: () => <SlosPage /> },
      { route: route('/slos/:name'), render: (p) => <SloPage key={p.name} name={p.name ?? ''} /> },
    ],
  },
  {
    path: '/probes',
    label: 'Probes',
    icon: icons.probes,
    routes: [
      { route: route('/probes'), render: () => <ProbesPage /> },
      { route: route('/probes/:name'), render: (p) => <ProbePage key={p.name} name={p.name ?? ''} /> },
    ],
  },
  {
    path: '/alerts',
    label: 'Alerts',
    icon: icons.alerts,
    // The fixed sub-pages come before `/alerts/:id`, which would match them too.
    routes: [
      {
        route: route('/alerts'),
        render: () => (
          <AlertsShell>
            <AlertsPage />
          </AlertsShell>
        ),
      },
      {
        route: route('/alerts/silences'),
        render: () => (
          <AlertsShell>
            <SilencesPage />
          </AlertsShell>
        ),
      },
      {
        route: route('/alerts/dead'),
        render: () => (
          <AlertsShell>
            <DeadLettersPage />
          </AlertsShell>
        ),
      },
      {
        route: route('/alerts/fatigue'),
        render: () => (
          <AlertsShell>
            <AlertFatigue />
          </AlertsShell>
        ),
      },
      { route: route('/alerts/:id'), render: (p) => <AlertPage key={p.id} id={p.id ?? ''} /> },
    ],
  },
  {
    path: '/nines',
    label: 'Nines',
    icon: icons.nines,
    routes: [{ route: route('/nines'), render: () => <NinesPage /> }],
  },
  {
    path: '/reports',
    label: 'Reports',
    icon: icons.reports,
    routes: [{ route: route('/reports'), render: () => <ReportsPage /> }],
  },
  {
    path: '/catalog',
    label: 'Catalog',
    icon: icons.catalog,
    routes: [
      { route: route('/catalog'), render: () => <CatalogPage /> },
      {
        route: route('/catalog/:kind/:name'),
        render: (p) => <EntityPage key={`${p.kind}:${p.name}`} kind={p.kind ?? ''} name={p.name ?? ''} />,
      },
    ],
  },
  {
    path: '/teams',
    label: 'Teams',
    icon: icons.teams,
    routes: [
      { route: route('/teams'), render: () => <TeamsPage /> },
      { route: route('/teams/:name'), render: (p) => <TeamPage key={p.name} name={p.name ?? ''} /> },
    ],
  },
  {
    path: '/conway',
    label: 'Conway',
    icon: icons.conway,
    routes: [{ route: route('/conway'), render: () => <ConwayPage /> }],
  },
  {
    path: '/audit',
    label: 'Audit',
    icon: icons.audit,
    routes: [{ route: route('/audit'), render: () => <AuditPage /> }],
  },
];

export function resolve(pathname: string): { section: Section; element: ReactNode } | null {
  for (const section of SECTIONS) {
    for (const r of section.routes) {
      const params = matchRoute(r.route, pathname);
      if (params) return { section, element: r.render(params) };
    }
  }
  return null;
}
