/**
 * Edge routing on the canvas: every edge becomes an orthogonal polyline from the bottom of its
 * source to the top of its target that keeps `margin` away from every node box.
 *
 * Positions may come from dagre or from the author's hand (`ui.positions`), so the router looks
 * at the boxes actually shown, not at how they were laid out. Cheapest shape first, each checked
 * against a spatial index of the boxes:
 *
 * 1. straight down, or a Z (down, across in a gap, down);
 * 2. a detour lane: across below the source, down (or up) a free vertical lane, across above the
 *    target (in a layered layout a lane always exists, at worst beside the whole graph);
 * 3. A* over the sparse orthogonal grid made of the padded box sides near the edge (bends cost
 *    extra), for what is left: targets above their source, boxes in the way of the lanes.
 *
 * Pure and framework-free, so it is unit-tested and benchmarked in Node.
 */

export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

export type Point = [number, number];

export interface RouteRequest {
  id: string;
  from: string;
  to: string;
}

export interface RouteOptions {
  /** Clearance kept from every box (px). */
  margin?: number;
  /** The largest number of boxes one A* search may look at (a bound on its time). */
  maxSearchBoxes?: number;
}

/** Clearance from node boxes; the arrowhead and the rounded corners fit inside it. */
export const ROUTE_MARGIN = 14;
const BEND_COST = 40;
const CELL = 256;
/** Detour lanes tried per edge and reach, nearest first. */
const MAX_LANES = 48;
/** Grid points one search may allocate (4 states each): bounds its memory and time. */
const MAX_GRID_POINTS = 120_000;
/**
 * Grid points all the searches of one routing may allocate together: a deterministic bound on
 * its time (a few hundred ms on a slow machine); past it, edges get the plain Z shape.
 */
const SEARCH_BUDGET = 20_000_000;

/** What is left of a routing's search budget, shared by its edges. */
export interface SearchBudget {
  gridPoints: number;
}

/** Boxes bucketed on a uniform grid, for "which boxes are near this rectangle". */
export class BoxIndex {
  private readonly cells = new Map<string, string[]>();
  private readonly cellOf = (v: number) => Math.floor(v / CELL);

  constructor(readonly boxes: ReadonlyMap<string, Box>) {
    for (const [id, b] of boxes) {
      for (let cx = this.cellOf(b.x); cx <= this.cellOf(b.x + b.w); cx++) {
        for (let cy = this.cellOf(b.y); cy <= this.cellOf(b.y + b.h); cy++) {
          const k = `${cx},${cy}`;
          const list = this.cells.get(k);
          if (list) list.push(id);
          else this.cells.set(k, [id]);
        }
      }
    }
  }

  /** Ids of boxes whose rectangle, grown by `pad`, meets [x0, x1] × [y0, y1] (may include extras). */
  near(x0: number, y0: number, x1: number, y1: number, pad: number): string[] {
    const out = new Set<string>();
    const cx0 = this.cellOf(Math.min(x0, x1) - pad);
    const cx1 = this.cellOf(Math.max(x0, x1) + pad);
    const cy0 = this.cellOf(Math.min(y0, y1) - pad);
    const cy1 = this.cellOf(Math.max(y0, y1) + pad);
    if ((cx1 - cx0 + 1) * (cy1 - cy0 + 1) > this.cells.size) {
      // A rectangle covering more cells than there are filled ones: scan the boxes instead.
      for (const id of this.boxes.keys()) out.add(id);
      return [...out];
    }
    for (let cx = cx0; cx <= cx1; cx++) {
      for (let cy = cy0; cy <= cy1; cy++) {
        for (const id of this.cells.get(`${cx},${cy}`) ?? []) out.add(id);
      }
    }
    return [...out];
  }

  /**
   * Whether the axis-aligned segment a-b passes through the inside of a box grown by `pad`
   * (running along a grown box's side is allowed).
   */
  blocks(a: Point, b: Point, pad: number): boolean {
    const x0 = Math.min(a[0], b[0]);
    const x1 = Math.max(a[0], b[0]);
    const y0 = Math.min(a[1], b[1]);
    const y1 = Math.max(a[1], b[1]);
    const e = 0.5; // touching a side is not crossing it
    const hit = (r: Box) =>
      x1 > r.x - pad + e &&
      x0 < r.x + r.w + pad - e &&
      y1 > r.y - pad + e &&
      y0 < r.y + r.h + pad - e;
    const cx0 = this.cellOf(x0 - pad);
    const cx1 = this.cellOf(x1 + pad);
    const cy0 = this.cellOf(y0 - pad);
    const cy1 = this.cellOf(y1 + pad);
    if ((cx1 - cx0 + 1) * (cy1 - cy0 + 1) > this.cells.size) {
      for (const r of this.boxes.values()) if (hit(r)) return true;
      return false;
    }
    // A box in several cells is tested more than once: cheaper than collecting a set.
    for (let cx = cx0; cx <= cx1; cx++) {
      for (let cy = cy0; cy <= cy1; cy++) {
        const ids = this.cells.get(`${cx},${cy}`);
        if (ids) for (const id of ids) if (hit(this.boxes.get(id)!)) return true;
      }
    }
    return false;
  }
}

const clearPath = (pts: Point[], index: BoxIndex, pad: number) => {
  for (let i = 0; i + 1 < pts.length; i++)
    if (index.blocks(pts[i]!, pts[i + 1]!, pad)) return false;
  return true;
};

/** Drops repeated points and the middle of three collinear points. */
export function simplify(pts: Point[]): Point[] {
  const out: Point[] = [];
  for (const p of pts) {
    const last = out[out.length - 1];
    if (last && last[0] === p[0] && last[1] === p[1]) continue;
    const prev = out[out.length - 2];
    if (
      prev &&
      last &&
      ((prev[0] === last[0] && last[0] === p[0]) || (prev[1] === last[1] && last[1] === p[1]))
    ) {
      out[out.length - 1] = p;
      continue;
    }
    out.push(p);
  }
  return out;
}

/**
 * Routes every edge. The result holds, per edge id, the polyline from just below the source's
 * bottom centre to just above the target's top centre (the short stubs into the handles are the
 * renderer's). Edges whose source or target has no box are left out.
 */
export function routeEdges(
  boxes: ReadonlyMap<string, Box>,
  edges: readonly RouteRequest[],
  opts: RouteOptions = {},
): Record<string, Point[]> {
  const index = new BoxIndex(boxes);
  const out: Record<string, Point[]> = {};
  const budget: SearchBudget = { gridPoints: SEARCH_BUDGET };
  for (const e of edges) {
    const r = routeOne(index, e.from, e.to, opts, budget);
    if (r) out[e.id] = r;
  }
  return out;
}

/** Routes one edge against an index (so a drag can re-route only the edges it moves). */
export function routeOne(
  index: BoxIndex,
  from: string,
  to: string,
  opts: RouteOptions = {},
  budget: SearchBudget = { gridPoints: SEARCH_BUDGET },
): Point[] | null {
  const m = opts.margin ?? ROUTE_MARGIN;
  const src = index.boxes.get(from);
  const dst = index.boxes.get(to);
  if (!src || !dst) return null;
  const sx = src.x + src.w / 2;
  const tx = dst.x + dst.w / 2;
  const s: Point = [sx, src.y + src.h + m];
  const t: Point = [tx, dst.y - m];
  // The stubs lie in the clearance of their own box; a box overlapping them cannot be avoided.
  const ok = (pts: Point[]) => clearPath(pts, index, m);

  if (t[1] >= s[1]) {
    if (sx === tx && ok([s, t])) return [s, t];
    const mid = Math.round((s[1] + t[1]) / 2);
    for (const y of [mid, s[1], t[1]]) {
      const z: Point[] = [s, [sx, y], [tx, y], t];
      if (ok(z)) return simplify(z);
    }
  }
  const lane = laneRoute(index, s, t, m);
  if (lane) return lane;
  return (
    searchRoute(index, s, t, m, opts.maxSearchBoxes ?? 400, budget) ??
    simplify([s, [sx, Math.round((s[1] + t[1]) / 2)], [tx, Math.round((s[1] + t[1]) / 2)], t])
  );
}

/**
 * Across just below the source, down a vertical lane clear of every box, across just above the
 * target. Lanes are tried nearest first: the sides of the boxes between the two rows.
 */
function laneRoute(index: BoxIndex, s: Point, t: Point, m: number): Point[] | null {
  const [sx, y1] = s;
  const [tx, y2] = t;
  const lo = Math.min(sx, tx);
  const hi = Math.max(sx, tx);
  const top = Math.min(y1, y2);
  const bottom = Math.max(y1, y2);
  for (const reach of [800, Infinity]) {
    const ids =
      reach === Infinity
        ? [...index.boxes.keys()]
        : index.near(lo - reach, top, hi + reach, bottom, m);
    const xs = new Set<number>();
    for (const id of ids) {
      const b = index.boxes.get(id)!;
      if (b.y + b.h + m <= top || b.y - m >= bottom) continue; // not beside the lane's span
      xs.add(b.x - m);
      xs.add(b.x + b.w + m);
    }
    const cost = (x: number) => Math.abs(x - sx) + Math.abs(x - tx);
    const lanes = [...xs].sort((a, b) => cost(a) - cost(b)).slice(0, MAX_LANES);
    for (const x of lanes) {
      if (reach !== Infinity && (x < lo - reach || x > hi + reach)) continue;
      const p: Point[] = [s, [x, y1], [x, y2], t];
      if (clearPath(p, index, m)) return simplify(p);
    }
  }
  return null;
}

/** A small binary heap of (priority, value). */
class Heap {
  private readonly keys: number[] = [];
  private readonly vals: number[] = [];
  get size() {
    return this.keys.length;
  }
  push(k: number, v: number) {
    const keys = this.keys;
    const vals = this.vals;
    let i = keys.length;
    keys.push(k);
    vals.push(v);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (keys[p]! <= k) break;
      keys[i] = keys[p]!;
      vals[i] = vals[p]!;
      i = p;
    }
    keys[i] = k;
    vals[i] = v;
  }
  pop(): number {
    const keys = this.keys;
    const vals = this.vals;
    const top = vals[0]!;
    const k = keys.pop()!;
    const v = vals.pop()!;
    const n = keys.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && keys[r]! < keys[l]! ? r : l;
        if (keys[c]! >= k) break;
        keys[i] = keys[c]!;
        vals[i] = vals[c]!;
        i = c;
      }
      keys[i] = k;
      vals[i] = v;
    }
    return top;
  }
}

function lowerBound(xs: number[], v: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Search buffers, grown as needed and reused: a canvas routes hundreds of edges in a row. */
let buf = {
  size: 0,
  dist: new Float64Array(0),
  prev: new Int32Array(0),
  seen: new Uint32Array(0),
  closed: new Uint32Array(0),
  gen: 0,
};
function buffers(states: number) {
  if (buf.size < states) {
    const size = Math.max(states, buf.size * 2);
    buf = {
      size,
      dist: new Float64Array(size),
      prev: new Int32Array(size),
      seen: new Uint32Array(size),
      closed: new Uint32Array(size),
      gen: 0,
    };
  }
  buf.gen++;
  if (buf.gen === 0xffffffff) {
    buf.seen.fill(0);
    buf.closed.fill(0);
    buf.gen = 1;
  }
  return buf;
}

/** The heuristic's weight: above 1 trades a little optimality for far fewer expanded states. */
const HEURISTIC_WEIGHT = 1.5;

/**
 * A* over the orthogonal visibility grid of the boxes near the edge: its lines are the grown
 * boxes' sides, the two end points and the window's border. Between two neighbouring lines a box
 * either covers a whole grid segment or none of it, so blocking is marked per box and range.
 * A state is a grid point and the axis it was reached along (a change of axis is a bend). The
 * window grows when no path is found, while it holds at most `maxBoxes` boxes; a path found is
 * checked against every box before it is used (it may leave the window).
 */
function searchRoute(
  index: BoxIndex,
  s: Point,
  t: Point,
  m: number,
  maxBoxes: number,
  budget: SearchBudget,
): Point[] | null {
  for (const grow of [160, 640, 2560]) {
    const wx0 = Math.min(s[0], t[0]) - grow;
    const wx1 = Math.max(s[0], t[0]) + grow;
    const wy0 = Math.min(s[1], t[1]) - grow;
    const wy1 = Math.max(s[1], t[1]) + grow;
    const ids = index.near(wx0, wy0, wx1, wy1, m);
    if (ids.length > maxBoxes) return null;
    const boxes = ids.map((id) => index.boxes.get(id)!);
    const xsSet = new Set<number>([s[0], t[0], wx0, wx1]);
    const ysSet = new Set<number>([s[1], t[1], wy0, wy1]);
    for (const b of boxes) {
      xsSet.add(b.x - m);
      xsSet.add(b.x + b.w + m);
      ysSet.add(b.y - m);
      ysSet.add(b.y + b.h + m);
    }
    const xs = [...xsSet].sort((a, b) => a - b);
    const ys = [...ysSet].sort((a, b) => a - b);
    const nx = xs.length;
    const ny = ys.length;
    const np = nx * ny;
    if (np > MAX_GRID_POINTS || np > budget.gridPoints) return null;
    budget.gridPoints -= np;
    const blockedPt = new Uint8Array(np);
    const blockedH = new Uint8Array(np); // (i, j) -> (i + 1, j)
    const blockedV = new Uint8Array(np); // (i, j) -> (i, j + 1)
    for (const b of boxes) {
      const a0 = lowerBound(xs, b.x - m);
      const a1 = lowerBound(xs, b.x + b.w + m);
      const c0 = lowerBound(ys, b.y - m);
      const c1 = lowerBound(ys, b.y + b.h + m);
      for (let j = c0; j <= c1; j++) {
        const insideY = j > c0 && j < c1;
        for (let i = a0; i <= a1; i++) {
          const id = j * nx + i;
          const insideX = i > a0 && i < a1;
          if (insideX && insideY) blockedPt[id] = 1;
          if (insideY && i < a1) blockedH[id] = 1;
          if (insideX && j < c1) blockedV[id] = 1;
        }
      }
    }
    const start = lowerBound(ys, s[1]) * nx + lowerBound(xs, s[0]);
    const goal = lowerBound(ys, t[1]) * nx + lowerBound(xs, t[0]);
    if (blockedPt[start] || blockedPt[goal]) continue;
    const { dist, prev, seen, closed, gen } = buffers(np * 2);
    const heap = new Heap();
    const h = (p: number) =>
      HEURISTIC_WEIGHT * (Math.abs(xs[p % nx]! - t[0]) + Math.abs(ys[(p / nx) | 0]! - t[1]));
    const relax = (st: number, cost: number, from: number, p: number) => {
      if (seen[st] === gen && cost >= dist[st]!) return;
      seen[st] = gen;
      dist[st] = cost;
      prev[st] = from;
      heap.push(cost + h(p), st);
    };
    relax(start * 2 + 1, 0, -1, start); // leaving the source downwards: vertical
    let found = -1;
    while (heap.size > 0) {
      const st = heap.pop();
      if (closed[st] === gen) continue; // a stale entry: this state was settled cheaper
      closed[st] = gen;
      const p = st >> 1;
      const axis = st & 1;
      const d = dist[st]!;
      if (p === goal) {
        // Arriving along the horizontal axis was charged its extra bend when it was pushed.
        found = st;
        break;
      }
      const i = p % nx;
      const j = (p / nx) | 0;
      const hb = axis === 0 ? 0 : BEND_COST; // a horizontal move
      const vb = axis === 1 ? 0 : BEND_COST; // a vertical move
      const atGoal = (q: number) => (q === goal ? BEND_COST : 0);
      if (i + 1 < nx && !blockedH[p] && !blockedPt[p + 1])
        relax((p + 1) * 2, d + xs[i + 1]! - xs[i]! + hb + atGoal(p + 1), st, p + 1);
      if (i > 0 && !blockedH[p - 1] && !blockedPt[p - 1])
        relax((p - 1) * 2, d + xs[i]! - xs[i - 1]! + hb + atGoal(p - 1), st, p - 1);
      if (j + 1 < ny && !blockedV[p] && !blockedPt[p + nx])
        relax((p + nx) * 2 + 1, d + ys[j + 1]! - ys[j]! + vb, st, p + nx);
      if (j > 0 && !blockedV[p - nx] && !blockedPt[p - nx])
        relax((p - nx) * 2 + 1, d + ys[j]! - ys[j - 1]! + vb, st, p - nx);
    }
    if (found < 0) continue;
    const pts: Point[] = [];
    for (let st = found; st >= 0; st = prev[st]!) {
      const p = st >> 1;
      pts.push([xs[p % nx]!, ys[(p / nx) | 0]!]);
    }
    const path = simplify(pts.reverse());
    if (clearPath(path, index, m)) return path;
  }
  return null;
}

/**
 * The SVG path of a route: from the source handle down the stub, along the polyline with rounded
 * corners (radius `r`, never more than half a segment), into the target handle.
 */
export function roundedPath(points: Point[], r = 8): string {
  const pts = simplify(points);
  if (pts.length === 0) return "";
  let d = `M ${pts[0]![0]},${pts[0]![1]}`;
  for (let i = 1; i < pts.length - 1; i++) {
    const [px, py] = pts[i - 1]!;
    const [cx, cy] = pts[i]!;
    const [nx, ny] = pts[i + 1]!;
    const l1 = Math.hypot(cx - px, cy - py);
    const l2 = Math.hypot(nx - cx, ny - cy);
    const k = Math.min(r, l1 / 2, l2 / 2);
    const ax = cx - ((cx - px) / (l1 || 1)) * k;
    const ay = cy - ((cy - py) / (l1 || 1)) * k;
    const bx = cx + ((nx - cx) / (l2 || 1)) * k;
    const by = cy + ((ny - cy) / (l2 || 1)) * k;
    d += ` L ${ax},${ay} Q ${cx},${cy} ${bx},${by}`;
  }
  const last = pts[pts.length - 1]!;
  return `${d} L ${last[0]},${last[1]}`;
}
