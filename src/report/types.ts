/**
 * Report data: typed, JSON-serializable, versioned. Renderers (console, JSON, HTML) only read these.
 * Charts carry plotly traces made by the pure builders of `sweep-traces.ts`, so the page only draws them.
 */
import type { Ranking } from '../sweep/rank.js';
import type { RolePasses, VariantPlacement, VariantResult, VariantSpec } from '../sweep/types.js';
import type { VariantMedia } from './variant-media.js';

export const SWEEP_REPORT_SCHEMA_VERSION = 1;

/** A plotly trace: its `type` plus plotly attributes. */
export interface PlotTrace {
  type: string;
  name?: string;
  [attribute: string]: unknown;
}

export type PlotLayout = Record<string, unknown>;

export interface ChartSpec {
  /** DOM id of the chart's div. */
  id: string;
  title: string;
  /** One line under the title: what the chart shows and how to read it. */
  note?: string;
  data: PlotTrace[];
  layout: PlotLayout;
}

export interface VariantDetail {
  id: string;
  name: string;
  status: 'ok' | 'error';
  error?: string;
  spec: VariantSpec;
  passes: RolePasses;
  /** Label/value rows shown in the detail panel. */
  rows: [string, string][];
  why: string;
  charts: ChartSpec[];
  /** The placement check of the variant's rewritten roles (CUDA sweeps). */
  placement?: VariantPlacement;
  /** Preview frames beside the baseline's, difference maps and audio (data URIs), when the run kept a preview. */
  media?: VariantMedia;
}

export interface SweepReport {
  schemaVersion: typeof SWEEP_REPORT_SCHEMA_VERSION;
  kind: 'sweep';
  title: string;
  generatedAt: string;
  env: VariantResult['env'] | undefined;
  /** 'reference': the seeded reference set (quality differences are structural, not perceptual). */
  modelSource?: 'reference' | 'export';
  /** Lines shown above the ranking (e.g. the reference-set note). */
  notes: string[];
  counts: { variants: number; ok: number; failed: number; onFront: number; feasible: number };
  ranking: Ranking;
  charts: ChartSpec[];
  details: VariantDetail[];
  /** The baseline's preview frames by frame index (data URIs), shared by every detail's media. */
  baselineFrames?: Record<string, string>;
  /** Projected RTF on another GPU per variant id (results annotated by `workbench project --annotate`). */
  projection?: SweepProjectionColumn;
}

/** The projected-RTF column: one target GPU, always labelled as a projection with its error band. */
export interface SweepProjectionColumn {
  projected: true;
  target: string;
  errorLabel: string;
  rtfById: Record<string, number>;
}

/** summary.json: the ranking without chart data. */
export interface SweepSummary {
  schemaVersion: typeof SWEEP_REPORT_SCHEMA_VERSION;
  kind: 'sweep-summary';
  title: string;
  generatedAt: string;
  env: VariantResult['env'] | undefined;
  counts: SweepReport['counts'];
  constraints: Ranking['constraints'];
  qualityFloor: Ranking['floor'];
  modelSource?: 'reference' | 'export';
  notes: string[];
  baselineId: string | undefined;
  front: string[];
  variants: {
    rank: number | undefined;
    id: string;
    name: string;
    status: 'ok' | 'error';
    error?: string;
    rtf: number | undefined;
    speedup: number | undefined;
    psnr: number | undefined;
    ssim: number | undefined;
    audioDistance: number | undefined;
    peakRssBytes: number | undefined;
    modelBytes: number | undefined;
    onFront: boolean;
    violations: string[];
    belowFloor: string[];
    why: string;
    /** Projected RTF on `projection.target` (never measured). */
    projectedRtf?: number;
    /** Set when nodes of a rewritten role ran off the target EP: one line naming them. */
    offEp?: string;
  }[];
  projection?: SweepProjectionColumn;
}
