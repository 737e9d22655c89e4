import { useId } from 'react';
import { navigate } from '../router.tsx';
import type { BlastRadius } from '../types.ts';
import { entityPath } from './badges.tsx';

const NODE_W = 168;
const NODE_H = 46;
const GAP_X = 60;
const GAP_Y = 14;
const PAD = 12;
const PALETTE_SIZE = 8;

interface Node {
  ref: string;
  kind: string;
  name: string;
  owner: string | null;
  tier: string | null;
  depth: number;
  via: string | null;
  x: number;
  y: number;
}

const refOf = (kind: string, name: string) => `${kind}:${name}`;

/** Team → palette slot, root's owner first so the service under study always gets the first colour. */
export function teamColors(data: BlastRadius): Map<string, number> {
  const colors = new Map<string, number>();
  const add = (team: string | null) => {
    if (team && !colors.has(team)) colors.set(team, colors.size % PALETTE_SIZE);
  };
  add(data.root.owner);
  for (const t of data.teams) add(t.name);
  for (const i of data.impacted) add(i.owner);
  return colors;
}

function layout(data: BlastRadius): { nodes: Map<string, Node>; width: number; height: number } {
  const columns: Node[][] = [];
  const nodes = new Map<string, Node>();
  const root: Node = { ...data.root, ref: refOf(data.root.kind, data.root.name), tier: null, depth: 0, via: null, x: 0, y: 0 };
  nodes.set(root.ref, root);
  columns[0] = [root];
  for (const i of data.impacted) {
    const ref = refOf(i.kind, i.name);
    if (nodes.has(ref)) continue;
    const depth = Math.max(1, i.depth);
    const node: Node = { ...i, ref, depth, x: 0, y: 0 };
    nodes.set(ref, node);
    const column = columns[depth];
    if (column) column.push(node);
    else columns[depth] = [node];
  }
  // Order each column by where its parent sits in the previous one: fewer crossing edges.
  const position = new Map<string, number>([[root.ref, 0]]);
  for (let d = 1; d < columns.length; d++) {
    // A depth with no entity would be a gap in the data; an empty column keeps the layout going.
    const column = columns[d] ?? [];
    columns[d] = column;
    column.sort((a, b) => (position.get(a.via ?? '') ?? 0) - (position.get(b.via ?? '') ?? 0) || a.name.localeCompare(b.name));
    for (const [i, n] of column.entries()) position.set(n.ref, i);
  }
  const rows = Math.max(...columns.map((c) => c.length));
  const height = PAD * 2 + rows * NODE_H + (rows - 1) * GAP_Y;
  for (const [depth, column] of columns.entries()) {
    const columnHeight = column.length * NODE_H + (column.length - 1) * GAP_Y;
    const top = (height - columnHeight) / 2;
    for (const [i, node] of column.entries()) {
      node.x = PAD + depth * (NODE_W + GAP_X);
      node.y = top + i * (NODE_H + GAP_Y);
    }
  }
  // Room on the right for edges that bow out of the last column.
  const width = PAD * 2 + columns.length * NODE_W + (columns.length - 1) * GAP_X + GAP_X / 2;
  return { nodes, width, height };
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export function BlastRadiusGraph({ data, colors }: { data: BlastRadius; colors: Map<string, number> }) {
  const { nodes, width, height } = layout(data);
  const markerId = useId().replace(/:/g, '');
  const rootRef = refOf(data.root.kind, data.root.name);
  const teamCount = data.teams.length;
  const label = `Blast radius of ${data.root.name}: ${data.impacted.length} dependent ${data.impacted.length === 1 ? 'entity' : 'entities'} owned by ${teamCount} ${teamCount === 1 ? 'team' : 'teams'}. Arrows point from a dependent to what it depends on. The table below lists the same.`;

  return (
    <div className="graph-scroll">
      {/* Shrinks to fit a laptop-wide card, but not below legibility: narrower screens scroll instead. */}
      <svg
        className="graph"
        viewBox={`0 0 ${width} ${height}`}
        style={{ width: '100%', maxWidth: width, minWidth: Math.min(width, Math.round(width * 0.7)) }}
      >
        <title>{label}</title>
        <defs>
          <marker
            id={markerId}
            viewBox="0 0 10 10"
            refX="9"
            refY="5"
            markerWidth="7"
            markerHeight="7"
            orient="auto-start-reverse"
          >
            <path d="M0 0 L10 5 L0 10 z" className="graph-arrow" />
          </marker>
        </defs>
        <g className="graph-edges">
          {data.edges.map((edge) => {
            const from = nodes.get(edge.from);
            const to = nodes.get(edge.to);
            if (!from || !to) return null;
            // Dependents sit right of what they depend on; edges inside one column bow out to the right.
            const y1 = from.y + NODE_H / 2;
            const y2 = to.y + NODE_H / 2;
            let d: string;
            if (from.x > to.x) {
              const x1 = from.x;
              const x2 = to.x + NODE_W + 2;
              const bend = (x1 - x2) / 2;
              d = `M${x1} ${y1} C${x1 - bend} ${y1}, ${x2 + bend} ${y2}, ${x2} ${y2}`;
            } else if (from.x < to.x) {
              const x1 = from.x + NODE_W;
              const x2 = to.x - 2;
              const bend = (x2 - x1) / 2;
              d = `M${x1} ${y1} C${x1 + bend} ${y1}, ${x2 - bend} ${y2}, ${x2} ${y2}`;
            } else {
              const x = from.x + NODE_W;
              d = `M${x} ${y1} C${x + GAP_X / 2} ${y1}, ${x + GAP_X / 2} ${y2}, ${x + 2} ${y2}`;
            }
            return <path key={`${edge.from}->${edge.to}`} d={d} className="graph-edge" markerEnd={`url(#${markerId})`} />;
          })}
        </g>
        <g className="graph-nodes">
          {[...nodes.values()].map((node) => {
            const isRoot = node.ref === rootRef;
            const slot = node.owner ? colors.get(node.owner) : undefined;
            const color = slot === undefined ? 'var(--team-none)' : `var(--team-${slot})`;
            const href = entityPath(node.kind, node.name);
            const sub = [node.kind !== 'service' ? node.kind : null, node.owner ?? 'unowned', node.tier]
              .filter(Boolean)
              .join(' · ');
            return (
              <a
                key={node.ref}
                href={href}
                className={`graph-node${isRoot ? ' graph-root' : ''}`}
                data-ref={node.ref}
                aria-label={`${node.name}${isRoot ? ' (this entity)' : ''}, owned by ${node.owner ?? 'no team'}${node.tier ? `, ${node.tier}` : ''}`}
                onClick={(event) => {
                  if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
                  event.preventDefault();
                  navigate(href);
                }}
              >
                <title>{`${node.ref}${node.via && !isRoot ? ` (via ${node.via})` : ''}`}</title>
                <rect
                  x={node.x}
                  y={node.y}
                  width={NODE_W}
                  height={NODE_H}
                  rx={8}
                  className="graph-box"
                  style={{ stroke: color }}
                />
                <rect x={node.x} y={node.y} width={8} height={NODE_H} rx={3} style={{ fill: color }} />
                <rect x={node.x - 4} y={node.y - 4} width={NODE_W + 8} height={NODE_H + 8} rx={11} className="graph-focus" />
                <text x={node.x + 18} y={node.y + 19} className="graph-name">
                  {truncate(node.name, 20)}
                </text>
                <text x={node.x + 18} y={node.y + 36} className="graph-sub">
                  {truncate(sub, 26)}
                </text>
              </a>
            );
          })}
        </g>
      </svg>
    </div>
  );
}

export function TeamLegend({ data, colors }: { data: BlastRadius; colors: Map<string, number> }) {
  const counts = new Map(data.teams.map((t) => [t.name, t.count]));
  return (
    <ul className="legend" aria-label="Teams by colour">
      {[...colors.entries()].map(([team, slot]) => (
        <li key={team}>
          <span className="swatch" style={{ background: `var(--team-${slot})` }} aria-hidden="true" />
          {team}
          <span className="muted">
            {team === data.root.owner && !counts.has(team) ? ' · owner' : ` · ${counts.get(team) ?? 0} impacted`}
            {team === data.root.owner && counts.has(team) ? ' · owner' : ''}
          </span>
        </li>
      ))}
    </ul>
  );
}
