/**
 * The `compose` pass: connects outputs of one model to inputs of a later one by name and yields one graph
 * (models in order; a link always goes from an earlier model to a later one, so the node lists concatenate
 * in topological order).
 *
 * - Names: a value or node name of a model that another model already uses is prefixed (`<prefix>/name`,
 *   the prefix being the model's graph name); public names (unlinked graph inputs, final outputs) are kept.
 *   Two final outputs with the same name: the later one is prefixed (reported).
 * - Shared inputs: the same name in several models with the same element type and shape becomes one graph
 *   input; a different type or shape is an error naming the input.
 * - Links: the output's and the input's element types and known dims must agree (error naming both).
 * - Opsets: per domain, equal versions pass. Different default-domain versions are raised to the highest
 *   when every op of the lower model means the same there (OPSET_BREAKS: the ops whose inputs or
 *   attributes changed meaning between 13 and 26); otherwise an error names the op and its node. Lower
 *   versions below 13 and differing versions of other domains are refused.
 * - External data: the models are read with their external data loaded; the writer decides where the
 *   composed tensors go (inline, or `--external-data`).
 * - Metadata: the models' `workbench.passes` records, in order, then this pass's record.
 */
import { PassError } from '../errors.js';
import { DataType } from '../onnx/dtype.js';
import { cloneModel, listSubgraphs, walkGraphs } from '../onnx/graph-utils.js';
import { recordPass, readPassRecords, PASSES_METADATA_KEY } from '../onnx/pass-record.js';
import { Node, Value, type Dim, type Graph, type Model, type OnnxFunction, type OpsetImport } from '../onnx/types.js';
import { verifyModel } from '../onnx/verify.js';
import { bump, newReport, replaceUses, type PassReport, type PassResult } from './common.js';

export const COMPOSE_NAME = 'compose';

/** The compose pass's counters. */
export type ComposeStat = 'models' | 'links' | 'nodes' | 'opsetsRaised' | 'valuesRenamed' | 'nodesRenamed' | 'sharedInputs' | 'castsInserted';

/** An output of one model feeding an input of a later one. Model indices are 0-based; omitted = found by name. */
export interface ComposeLink {
  from: string;
  to: string;
  fromModel?: number;
  toModel?: number;
}

export interface ComposeOptions {
  links: ComposeLink[];
  /** Keep linked outputs as graph outputs too (default false). */
  keepLinkedOutputs?: boolean;
  /** Name prefixes per model for clashing names (default: each graph's name, else `m<i>`). */
  prefixes?: string[];
  /** The composed graph's name (default: the graph names joined with '+'). */
  name?: string;
  /**
   * A link between float32 and float16 values gets a Cast instead of an error (default false). For passes
   * that compose roles of which some were lowered to float16 (render-graph).
   */
  castFloatLinks?: boolean;
}

export const COMPOSE_DEFAULTS = { keepLinkedOutputs: false, castFloatLinks: false };

const FLOATS: ReadonlySet<number> = new Set([DataType.FLOAT, DataType.FLOAT16]);

/** The lowest default-domain opset compose reconciles from. */
export const COMPOSE_MIN_OPSET = 13;

/**
 * Default-domain ops whose meaning changed between opsets 13 and 26 (inputs or attributes turned into
 * something else, modes renamed): op → the versions at which it changed. Every other version bump in that
 * range only widened the type lists or added optional inputs/attributes whose default is the old behaviour.
 */
export const OPSET_BREAKS: Readonly<Record<string, readonly number[]>> = {
  ReduceMean: [18],
  ReduceMax: [18],
  ReduceMin: [18],
  ReduceProd: [18],
  ReduceL1: [18],
  ReduceL2: [18],
  ReduceLogSum: [18],
  ReduceLogSumExp: [18],
  ReduceSumSquare: [18],
  GridSample: [20], // modes renamed (bilinear → linear, bicubic → cubic), 5-D inputs
  DFT: [20], // axis attribute → input
  GroupNormalization: [21], // scale/bias per group → per channel
  Scan: [16], // (kept conservative: loop state typing)
};

function fail(detail: string, node?: string): never {
  throw new PassError(COMPOSE_NAME, node, detail);
}

interface ResolvedLink {
  from: number;
  to: number;
  out: Value;
  inp: Value;
  label: string;
}

function linkLabel(l: ComposeLink): string {
  return `${l.from}${l.fromModel !== undefined ? `@${l.fromModel + 1}` : ''}:${l.to}${l.toModel !== undefined ? `@${l.toModel + 1}` : ''}`;
}

function resolveLinks(models: Model[], links: ComposeLink[]): ResolvedLink[] {
  return links.map((l) => {
    const label = linkLabel(l);
    const outs = models.flatMap((m, i) =>
      l.fromModel === undefined || l.fromModel === i ? m.graph.outputs.filter((v) => v.name === l.from).map((v) => ({ i, v })) : [],
    );
    if (!outs.length) fail(`link '${label}': output '${l.from}' is in none of the models${l.fromModel !== undefined ? ` (model ${l.fromModel + 1})` : ''}`);
    if (outs.length > 1) fail(`link '${label}': output '${l.from}' is in models ${outs.map((o) => o.i + 1).join(' and ')}: qualify it as ${l.from}@<model>`);
    const ins = models.flatMap((m, i) =>
      l.toModel === undefined || l.toModel === i ? m.graph.inputs.filter((v) => v.name === l.to && !v.initializer).map((v) => ({ i, v })) : [],
    );
    if (!ins.length) fail(`link '${label}': input '${l.to}' is in none of the models${l.toModel !== undefined ? ` (model ${l.toModel + 1})` : ''}`);
    const after = ins.filter((x) => x.i > (outs[0] as { i: number }).i);
    if (!after.length) fail(`link '${label}': input '${l.to}' must belong to a model after the one with output '${l.from}'`);
    if (after.length > 1) fail(`link '${label}': input '${l.to}' is in models ${after.map((o) => o.i + 1).join(' and ')}: qualify it as ${l.to}@<model>`);
    const o = outs[0] as { i: number; v: Value };
    const t = after[0] as { i: number; v: Value };
    return { from: o.i, to: t.i, out: o.v, inp: t.v, label };
  });
}

function shapeText(s: Dim[] | undefined): string {
  return s ? `[${s.map((d) => (d === undefined ? '?' : String(d))).join(',')}]` : '[?]';
}

/** Element types and known dims must agree; `what` names both ends. */
function checkTypes(a: Value, b: Value, what: string, exact: boolean): void {
  const ta = a.tensorType;
  const tb = b.tensorType;
  if (!ta || !tb) return;
  if (ta.elemType !== tb.elemType) fail(`${what}: element types differ (${ta.elemType} vs ${tb.elemType})`);
  const sa = ta.shape;
  const sb = tb.shape;
  if (!sa || !sb) {
    if (exact && (sa !== undefined) !== (sb !== undefined)) fail(`${what}: shapes differ (${shapeText(sa)} vs ${shapeText(sb)})`);
    return;
  }
  const bad = sa.length !== sb.length || sa.some((d, i) => (exact ? d !== sb[i] : typeof d === 'number' && typeof sb[i] === 'number' && d !== sb[i]));
  if (bad) fail(`${what}: shapes differ (${shapeText(sa)} vs ${shapeText(sb)})`);
}

/** Every op of a lower-opset model must mean the same at the target version. */
function reconcileOpsets(models: Model[], report: PassReport<ComposeStat>): OpsetImport[] {
  const domains = new Map<string, { version: number; model: number }[]>();
  models.forEach((m, i) => {
    for (const o of m.opsetImports) {
      const d = o.domain === 'ai.onnx' ? '' : o.domain;
      const l = domains.get(d) ?? [];
      l.push({ version: o.version, model: i });
      domains.set(d, l);
    }
  });
  const out: OpsetImport[] = [];
  for (const [domain, list] of domains) {
    const target = Math.max(...list.map((x) => x.version));
    for (const { version, model } of list) {
      if (version === target) continue;
      const nodes: Node[] = [];
      walkGraphs((models[model] as Model).graph, (g) => nodes.push(...g.nodes.filter((n) => (n.domain === 'ai.onnx' ? '' : n.domain) === domain)));
      if (domain !== '') {
        fail(
          `model ${model + 1} imports domain '${domain}' version ${version}, another ${target}: compose reconciles only the default domain${nodes[0] ? ` (op ${nodes[0].opType})` : ''}`,
          nodes[0]?.name,
        );
      }
      if (version < COMPOSE_MIN_OPSET)
        fail(
          `model ${model + 1} imports opset ${version}, another ${target}: compose raises opsets from ${COMPOSE_MIN_OPSET} up only (upgrade the model first)`,
        );
      for (const n of nodes) {
        const br = OPSET_BREAKS[n.opType]?.find((v) => v > version && v <= target);
        if (br !== undefined)
          fail(`op ${n.opType} changed meaning at opset ${br}: model ${model + 1} (opset ${version}) cannot be raised to ${target}`, n.name);
      }
      bump(report, 'opsetsRaised');
    }
    out.push(domain === '' ? { domain: '', version: target } : { domain, version: target });
  }
  return out;
}

/** Renames clashing value and node names of model `i` (public names stay). */
function renameClashes(
  g: Graph,
  prefix: string,
  keep: Set<Value>,
  valuesTaken: Set<string>,
  nodesTaken: Set<string>,
  publicOther: Set<string>,
  report: PassReport<ComposeStat>,
): void {
  const fresh = (taken: Set<string>, base: string): string => {
    let n = `${prefix}/${base}`;
    for (let k = 1; taken.has(n) || publicOther.has(n); k++) n = `${prefix}/${base}_${k}`;
    return n;
  };
  const values = new Set<Value>();
  const nodes: Node[] = [];
  walkGraphs(g, (sg) => {
    for (const v of [...sg.inputs, ...sg.initializers, ...sg.outputs]) values.add(v);
    for (const n of sg.nodes) {
      nodes.push(n);
      for (const o of n.outputs) if (o) values.add(o);
    }
  });
  for (const v of values) {
    if (!keep.has(v) && (valuesTaken.has(v.name) || publicOther.has(v.name))) {
      const to = fresh(valuesTaken, v.name);
      if (v.initializer) v.initializer = { ...v.initializer, name: to };
      v.name = to;
      bump(report, 'valuesRenamed');
    }
  }
  for (const v of values) valuesTaken.add(v.name);
  for (const n of nodes) {
    if (n.name && nodesTaken.has(n.name)) {
      n.name = fresh(nodesTaken, n.name);
      bump(report, 'nodesRenamed');
    }
    if (n.name) nodesTaken.add(n.name);
  }
}

/**
 * What the compose phases share: the options, the clones being joined with their prefixes, the resolved
 * links, and the names given out so far (clash renaming and link Casts draw from the same pool).
 */
interface ComposeState {
  readonly o: ComposeOptions & typeof COMPOSE_DEFAULTS;
  readonly report: PassReport<ComposeStat>;
  readonly ms: Model[];
  readonly prefixes: string[];
  readonly links: ResolvedLink[];
  /** float32↔float16 links that get a Cast (`castFloatLinks`). */
  readonly castLinks: Set<ResolvedLink>;
  readonly linkedInputs: Set<Value>;
  readonly linkedOutputs: Set<Value>;
  readonly valuesTaken: Set<string>;
  readonly nodesTaken: Set<string>;
}

/** Runs the pass on `models` (not modified) and returns the composed model with a report. */
export function composeWithReport(models: Model[], options: ComposeOptions): PassResult<ComposeStat> {
  const o = { ...COMPOSE_DEFAULTS, ...options };
  const report = newReport<ComposeStat>(COMPOSE_NAME, o);
  if (models.length < 2) fail('give at least two models');
  if (!o.links.length) fail('give at least one link (--map out:in)');
  const ms = models.map(cloneModel);
  const links = resolveLinks(ms, o.links);
  const s: ComposeState = {
    o,
    report,
    ms,
    prefixes: modelPrefixes(ms, o),
    links,
    castLinks: new Set(),
    linkedInputs: new Set(links.map((l) => l.inp)),
    linkedOutputs: new Set(links.map((l) => l.out)),
    valuesTaken: new Set(),
    nodesTaken: new Set(),
  };
  checkLinks(s);
  const opsetImports = reconcileOpsets(ms, report);
  const { finalOutputs, renamedOutputs } = listFinalOutputs(s);
  renamePublicClashes(s, finalOutputs);
  const main = assembleGraph(s, finalOutputs);

  const m0 = ms[0] as Model;
  const composed: Model = {
    ...m0,
    irVersion: Math.max(...ms.map((m) => m.irVersion)),
    opsetImports,
    functions: mergeFunctions(ms),
    metadataProps: mergeMetadata(ms, report),
    graph: main,
  };
  composed.docString = `composed: ${ms.map((m) => m.graph.name).join(' → ')}`;
  report.stats.models = ms.length;
  report.stats.links = links.length;
  report.stats.nodes = main.nodes.length;
  report.details = {
    prefixes: s.prefixes,
    links: links.map((l) => ({ link: l.label, from: l.from + 1, to: l.to + 1 })),
    ...(Object.keys(renamedOutputs).length ? { renamedOutputs } : {}),
  };
  recordPass(composed, COMPOSE_NAME, {
    models: ms.map((m, i) => ({ graph: models[i]?.graph.name ?? '', prefix: s.prefixes[i] })),
    links: o.links,
    ...(o.keepLinkedOutputs ? { keepLinkedOutputs: true } : {}),
  });
  verifyModel(composed, `pass ${COMPOSE_NAME}`);
  return { model: composed, report };
}

/** Each model's prefix (given, else its graph name, else m<i>), made unique. */
function modelPrefixes(ms: readonly Model[], o: ComposeOptions): string[] {
  const prefixes = ms.map((m, i) => o.prefixes?.[i] ?? (m.graph.name || `m${i}`));
  prefixes.forEach((p, i) => {
    if (prefixes.indexOf(p) !== i) prefixes[i] = `${p}_${i}`;
  });
  return prefixes;
}

/** Each link joins values of one type and shape; float32↔float16 links are allowed with `castFloatLinks`. */
function checkLinks(s: ComposeState): void {
  for (const l of s.links) {
    const a = l.out.tensorType?.elemType;
    const b = l.inp.tensorType?.elemType;
    const what = `link '${l.label}' (output '${l.out.name}' → input '${l.inp.name}')`;
    if (s.o.castFloatLinks && a !== undefined && b !== undefined && a !== b && FLOATS.has(a) && FLOATS.has(b)) {
      s.castLinks.add(l);
      // Shapes must still match: compare them as float32.
      const asFloat = (x: Value): Value =>
        new Value(x.name, { kind: 'tensor', elemType: DataType.FLOAT, ...(x.tensorType?.shape ? { shape: x.tensorType.shape } : {}) });
      checkTypes(asFloat(l.out), asFloat(l.inp), what, false);
    } else checkTypes(l.out, l.inp, what, false);
  }
}

/** The composed model's outputs: every unlinked output (linked ones too with keepLinkedOutputs); a later clash is prefixed. */
function listFinalOutputs(s: ComposeState): { finalOutputs: Value[]; renamedOutputs: Record<string, string> } {
  const finalOutputs: Value[] = [];
  const outputNames = new Set<string>();
  const renamedOutputs: Record<string, string> = {};
  s.ms.forEach((m, i) => {
    for (const v of m.graph.outputs) {
      if (s.linkedOutputs.has(v) && !s.o.keepLinkedOutputs) continue;
      if (outputNames.has(v.name)) {
        const to = `${s.prefixes[i]}/${v.name}`;
        renamedOutputs[`${v.name}@${i + 1}`] = to;
        v.name = to;
      }
      outputNames.add(v.name);
      finalOutputs.push(v);
    }
  });
  return { finalOutputs, renamedOutputs };
}

/** Internal names that clash across models get the model's prefix; public names stay (shared inputs merge later). */
function renamePublicClashes(s: ComposeState, finalOutputs: readonly Value[]): void {
  const publicOf = s.ms.map(
    (m) =>
      new Set<Value>([...m.graph.inputs.filter((v) => !s.linkedInputs.has(v) && !v.initializer), ...m.graph.outputs.filter((v) => finalOutputs.includes(v))]),
  );
  const publicInputs = new Set<string>();
  s.ms.forEach((m, i) => {
    const publicOther = new Set<string>();
    publicOf.forEach((set, j) => {
      if (j !== i) for (const v of set) publicOther.add(v.name);
    });
    const keep = publicOf[i] as Set<Value>;
    // A public name already used by an earlier model is fine only for two unlinked inputs (merged below).
    for (const v of keep) {
      if (!s.valuesTaken.has(v.name)) continue;
      const isInput = m.graph.inputs.includes(v);
      if (!isInput || !publicInputs.has(v.name))
        fail(`name '${v.name}' is public in model ${i + 1} and used by an earlier model (${isInput ? 'not as an input' : 'output names must be unique'})`);
    }
    renameClashes(m.graph, s.prefixes[i] as string, keep, s.valuesTaken, s.nodesTaken, publicOther, s.report);
    for (const v of m.graph.inputs) if (keep.has(v)) publicInputs.add(v.name);
  });
}

/** Assembles every model into model 0's graph: inputs merged, link Casts inserted, link inputs rewired. */
function assembleGraph(s: ComposeState, finalOutputs: Value[]): Graph {
  const main = (s.ms[0] as Model).graph;
  main.name = s.o.name ?? s.ms.map((m) => m.graph.name).join('+');
  const inputs = new Map<string, Value>();
  const mainInputs: Value[] = [];
  const replace: [Value, Value][] = [];
  const castTo = new Map<ResolvedLink, Value>();
  s.ms.forEach((m, i) => {
    const g = m.graph;
    for (const v of g.inputs) {
      if (v.initializer) {
        mainInputs.push(v);
        continue;
      }
      if (s.linkedInputs.has(v)) continue;
      const prior = inputs.get(v.name);
      if (prior) {
        checkTypes(prior, v, `shared input '${v.name}' (model ${i + 1} and an earlier one)`, true);
        replace.push([v, prior]);
        bump(s.report, 'sharedInputs');
        continue;
      }
      inputs.set(v.name, v);
      mainInputs.push(v);
    }
    if (i === 0) return;
    insertLinkCasts(s, i, main, castTo);
    main.initializers.push(...g.initializers);
    main.valueInfo.push(...g.valueInfo);
    main.sparseInitializers.push(...g.sparseInitializers);
    for (const n of g.nodes) {
      for (const sg of listSubgraphs(n)) if (sg.outer === g) sg.outer = main;
      main.nodes.push(n);
    }
  });
  for (const l of s.links) replace.push([l.inp, castTo.get(l) ?? l.out]);
  main.inputs = mainInputs;
  main.outputs = finalOutputs;
  for (const [from, to] of replace) replaceUses(main, from, to);
  const dropped = new Set(replace.map(([f]) => f));
  main.valueInfo = main.valueInfo.filter((v) => !dropped.has(v) && !main.outputs.includes(v) && !main.inputs.includes(v));
  return main;
}

/** Casts of the float32↔float16 links into model `i`, right before its nodes. */
function insertLinkCasts(s: ComposeState, i: number, main: Graph, castTo: Map<ResolvedLink, Value>): void {
  const castName = (base: string): string => {
    let n = `${s.prefixes[i]}/${base}`;
    for (let k = 1; s.valuesTaken.has(n) || s.nodesTaken.has(n); k++) n = `${s.prefixes[i]}/${base}_${k}`;
    s.valuesTaken.add(n);
    s.nodesTaken.add(n);
    return n;
  };
  for (const l of s.links) {
    if (l.to !== i || !s.castLinks.has(l)) continue;
    const to = l.inp.tensorType?.elemType as number;
    const cast = new Node('Cast', castName(`${l.inp.name}_Cast`), [l.out], []);
    cast.attributes = [{ name: 'to', attr: { type: 'int', value: BigInt(to) } }];
    const v = new Value(castName(`${l.inp.name}_cast`), {
      kind: 'tensor',
      elemType: to,
      ...(l.inp.tensorType?.shape ? { shape: [...l.inp.tensorType.shape] } : {}),
    });
    v.producer = cast;
    cast.outputs = [v];
    main.nodes.push(cast);
    castTo.set(l, v);
    bump(s.report, 'castsInserted');
  }
}

/** The composed model (see module docs). Pure. */
export function compose(models: Model[], options: ComposeOptions): Model {
  return composeWithReport(models, options).model;
}

function mergeFunctions(ms: Model[]): OnnxFunction[] {
  const out: OnnxFunction[] = [];
  const seen = new Map<string, OnnxFunction>();
  for (const m of ms)
    for (const f of m.functions) {
      const key = `${f.domain}::${f.name}::${f.overload ?? ''}`;
      const prior = seen.get(key);
      if (prior === f) continue;
      if (prior) fail(`two models define function '${f.domain ? `${f.domain}.` : ''}${f.name}': compose does not merge local functions`);
      seen.set(key, f);
      out.push(f);
    }
  return out;
}

/** Pass records of every model in order; other keys from the first model that has them (conflicts reported). */
function mergeMetadata(ms: Model[], report: PassResult['report']): Model['metadataProps'] {
  const out: Model['metadataProps'] = [];
  const passes = ms.flatMap((m) => readPassRecords(m));
  for (const m of ms)
    for (const e of m.metadataProps) {
      if (e.key === PASSES_METADATA_KEY) continue;
      const prior = out.find((x) => x.key === e.key);
      if (!prior) out.push({ ...e });
      else if (prior.value !== e.value)
        report.warnings.push({
          pass: COMPOSE_NAME,
          code: 'metadata-conflict',
          message: `metadata '${e.key}' differs between models; the first model's value is kept`,
        });
    }
  if (passes.length) out.push({ key: PASSES_METADATA_KEY, value: JSON.stringify(passes) });
  return out;
}
