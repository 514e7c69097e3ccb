/**
 * A known volume series → the files each vendor's scanner would export, so that the readers can be
 * checked against dcm2niix on formats no shared scan covers. The elements are those the DICOM standard
 * (PS3.3 Enhanced MR functional groups) and the vendors' conformance statements and dcm2niix's notes name.
 *   (a) Siemens XA enhanced, one file per volume   (b) Philips enhanced, one file per run or per volume
 *   (c) GE, (d) Philips, (e) Siemens one slice per file   (f) several echoes   (g) a MoCo copy (ImageType)
 * Voxel (i, j, k) of the source is stored at column i, row ny-1-j of frame k: dcm2niix writes rows
 * bottom first, so its NIfTI of these files holds the source voxels again.
 */
import { type El, el, ENHANCED_MR, EXPLICIT, MR, part10, uid } from './dicom-writer.js';

export interface SeriesSource {
  readonly dims: readonly [number, number, number];
  /** Integer-valued volumes, i fastest (as nibabel's order='F' ravel gives them). */
  readonly volumes: readonly Float32Array[];
  /** Voxel → RAS mm, 4 rows. */
  readonly affine: readonly (readonly number[])[];
  readonly repetitionTime: number;
  /** Seconds from the volume start to each slice k. */
  readonly sliceTiming: readonly number[];
}

export type Vendor = 'siemens' | 'ge' | 'philips';

export interface SeriesOptions {
  readonly vendor: Vendor;
  readonly seriesNumber: number;
  /** Several echoes: each an echo time, its EchoNumbers (omitted for "echoes without numbers") and a signal factor. */
  readonly echoes?: readonly { readonly timeMs: number; readonly number?: number; readonly factor: number }[];
  readonly imageType?: readonly string[];
  /** Stored = round((value - intercept) / slope): RescaleSlope/Intercept per volume t and slice k (K16). */
  readonly rescale?: (t: number, k: number) => { readonly slope: number; readonly intercept: number };
  /** Philips private scale slope (2005,100E) per volume and slice. */
  readonly philipsScale?: (t: number, k: number) => number;
  readonly signed?: boolean;
  readonly bitsStored?: number;
  /** Slices per file order in enhanced files: by slice then time (Philips), or shuffled (K07). */
  readonly frameOrder?: 'slice-major' | 'time-major' | 'shuffled';
  /** Philips enhanced: every volume in one file (default) or one file per volume (real-time export). */
  readonly filePerVolume?: boolean;
  /** Slice counts to state in the header, where they disagree with the geometry (K09). */
  readonly statedSlices?: number;
  readonly syntax?: string;
  /** Encapsulates each frame's little-endian 16-bit cells (JPEG Lossless here; RLE comes from pydicom). */
  readonly compress?: (cells: Uint8Array, rows: number, columns: number) => Uint8Array;
}

/** Identifying values written into every file: none may come out of the readers. */
export const IDENTIFYING = {
  PatientName: 'Quixote^Alonso^Q',
  PatientID: 'PID-8812731',
  PatientBirthDate: '19710423',
  PatientSex: 'F',
  PatientAge: '052Y',
  PatientWeight: '63.25',
  InstitutionName: 'Clinica Rocinante',
  StudyDate: '20240117',
  AccessionNumber: 'ACC77123',
  ReferringPhysicianName: 'Sancho^Panza',
} as const;

const MANUFACTURER: Record<Vendor, string> = { siemens: 'SIEMENS', ge: 'GE MEDICAL SYSTEMS', philips: 'Philips Medical Systems' };
type Vec3 = [number, number, number];

function geometry(src: SeriesSource) {
  const m = [0, 1, 2].map((r) => src.affine[r]!.map((v) => (r < 2 ? -v : v)));
  const column = (c: number): Vec3 => [m[0]![c]!, m[1]![c]!, m[2]![c]!];
  const len = (v: Vec3) => Math.hypot(...v);
  const [ci, cj] = [column(0), column(1)];
  const [dx, dy] = [len(ci), len(cj)];
  const row = ci.map((v) => v / dx);
  const col = cj.map((v) => -v / dy);
  const ny = src.dims[1];
  const positions = Array.from({ length: src.dims[2] }, (_, k) => [0, 1, 2].map((r) => m[r]![1]! * (ny - 1) + m[r]![2]! * k + m[r]![3]!));
  return { orientation: [...row, ...col], dx, dy, positions, thickness: len(column(2)) };
}

const fmt = (v: number) => String(Math.round(v * 1e6) / 1e6);
const tm = (seconds: number) => {
  const h = Math.floor(seconds / 3600);
  const mi = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return `${String(h).padStart(2, '0')}${String(mi).padStart(2, '0')}${s.toFixed(6).padStart(9, '0')}`;
};
const START = 10 * 3600 + 12 * 60 + 5.5;

function framePixels(src: SeriesSource, o: SeriesOptions, t: number, k: number, factor: number): Uint8Array {
  const [nx, ny] = src.dims;
  const { slope, intercept } = o.rescale?.(t, k) ?? { slope: 1, intercept: 0 };
  const out = new Uint8Array(nx * ny * 2);
  const view = new DataView(out.buffer);
  const volume = src.volumes[t]!;
  for (let r = 0; r < ny; r++) {
    for (let c = 0; c < nx; c++) {
      const stored = Math.round((Math.round(volume[(k * ny + (ny - 1 - r)) * nx + c]! * factor) - intercept) / slope);
      if (o.signed) view.setInt16((r * nx + c) * 2, stored, true);
      else view.setUint16((r * nx + c) * 2, stored, true);
    }
  }
  return out;
}

function common(src: SeriesSource, o: SeriesOptions, sop: string, instance: string): El[] {
  const g = geometry(src);
  const bits = o.bitsStored ?? 16;
  const series = uid(`series ${o.vendor} ${o.seriesNumber}`);
  return [
    el(0x00080008, 'CS', o.imageType ?? ['ORIGINAL', 'PRIMARY', 'M', 'ND']),
    el(0x00080016, 'UI', sop),
    el(0x00080018, 'UI', instance),
    el(0x00080020, 'DA', IDENTIFYING.StudyDate),
    el(0x00080050, 'SH', IDENTIFYING.AccessionNumber),
    el(0x00080060, 'CS', 'MR'),
    el(0x00080070, 'LO', MANUFACTURER[o.vendor]),
    el(0x00080080, 'LO', IDENTIFYING.InstitutionName),
    el(0x00080090, 'PN', IDENTIFYING.ReferringPhysicianName),
    el(0x0008103e, 'LO', `bold run ${o.seriesNumber}`),
    el(0x00100010, 'PN', IDENTIFYING.PatientName),
    el(0x00100020, 'LO', IDENTIFYING.PatientID),
    el(0x00100030, 'DA', IDENTIFYING.PatientBirthDate),
    el(0x00100040, 'CS', IDENTIFYING.PatientSex),
    el(0x00101010, 'AS', IDENTIFYING.PatientAge),
    el(0x00101030, 'DS', IDENTIFYING.PatientWeight),
    el(0x00180050, 'DS', fmt(g.thickness)),
    el(0x00180080, 'DS', fmt(src.repetitionTime * 1000)),
    el(0x00180088, 'DS', fmt(g.thickness)),
    el(0x00181314, 'DS', '77'),
    el(0x0020000d, 'UI', uid('study')),
    el(0x0020000e, 'UI', series),
    el(0x00200011, 'IS', o.seriesNumber),
    el(0x00200052, 'UI', uid('frame of reference')),
    el(0x00280002, 'US', 1),
    el(0x00280004, 'CS', 'MONOCHROME2'),
    el(0x00280010, 'US', src.dims[1]),
    el(0x00280011, 'US', src.dims[0]),
    el(0x00280100, 'US', 16),
    el(0x00280101, 'US', bits),
    el(0x00280102, 'US', bits - 1),
    el(0x00280103, 'US', o.signed ? 1 : 0),
  ];
}

export interface WrittenFile {
  readonly name: string;
  readonly bytes: Uint8Array;
}

const echoesOf = (o: SeriesOptions) => o.echoes ?? [{ timeMs: 30, number: 1, factor: 1 }];

/** Vendor private elements of one image, creators included (GE slice count; Philips slice count and scale slope). */
function privateElements(o: SeriesOptions, t: number, k: number, slices: number): El[] {
  if (o.vendor === 'ge') return [el(0x00210010, 'LO', 'GEMS_RELA_01'), el(0x0021104f, 'SS', o.statedSlices ?? slices)];
  if (o.vendor !== 'philips') return [];
  const scale = o.philipsScale ? [el(0x2005100e, 'FL', o.philipsScale(t, k))] : [];
  return [el(0x20010010, 'LO', 'Philips Imaging DD 001'), el(0x20011018, 'SL', o.statedSlices ?? slices), el(0x20050010, 'LO', 'Philips Imaging DD 001'), ...scale];
}

/** (c) GE, (d) Philips, (e) Siemens: one file per slice, every echo, every volume. */
export function perSliceSeries(src: SeriesSource, o: SeriesOptions): WrittenFile[] {
  const g = geometry(src);
  const nz = src.dims[2];
  const files: WrittenFile[] = [];
  const echoes = echoesOf(o);
  src.volumes.forEach((_, t) => {
    for (let k = 0; k < nz; k++) {
      echoes.forEach((echo, e) => {
        const number = (t * nz + k) * echoes.length + e + 1;
        const instance = uid(`slice ${o.vendor} ${o.seriesNumber} ${number}`);
        const { slope, intercept } = o.rescale?.(t, k) ?? { slope: 1, intercept: 0 };
        const elements = [
          ...common(src, o, MR, instance),
          el(0x00080032, 'TM', tm(START + t * src.repetitionTime + src.sliceTiming[k]!)),
          el(0x00180081, 'DS', fmt(echo.timeMs)),
          ...(echo.number !== undefined ? [el(0x00180086, 'IS', echo.number)] : []),
          el(0x00200012, 'IS', o.vendor === 'siemens' ? t + 1 : 1),
          el(0x00200013, 'IS', number),
          el(0x00200032, 'DS', g.positions[k]!.map(fmt)),
          el(0x00200037, 'DS', g.orientation.map(fmt)),
          el(0x00280030, 'DS', [fmt(g.dy), fmt(g.dx)]),
          o.compress ? el(0x7fe00010, 'OB', { fragments: [o.compress(framePixels(src, o, t, k, echo.factor), src.dims[1], src.dims[0])] }) : el(0x7fe00010, 'OW', framePixels(src, o, t, k, echo.factor)),
          ...privateElements(o, t, k, nz),
        ];
        // GE numbers temporal positions and leaves the rescale tags out; Philips numbers them and rescales.
        if (o.vendor !== 'siemens') elements.push(el(0x00200100, 'IS', t + 1), el(0x00200105, 'IS', src.volumes.length));
        if (o.vendor !== 'ge') elements.push(el(0x00281052, 'DS', fmt(intercept)), el(0x00281053, 'DS', fmt(slope)), el(0x00281054, 'LO', 'US'));
        files.push({ name: `IM${String(number).padStart(5, '0')}`, bytes: part10(elements, o.syntax ?? EXPLICIT) });
      });
    }
  });
  return files;
}

function frameItems(src: SeriesSource, o: SeriesOptions, t: number, k: number, echo: { timeMs: number }, date: string): El[] {
  const g = geometry(src);
  const { slope, intercept } = o.rescale?.(t, k) ?? { slope: 1, intercept: 0 };
  const items: El[] = [
    el(0x00209111, 'SQ', [[el(0x00189074, 'DT', `${date}${tm(START + t * src.repetitionTime + src.sliceTiming[k]!)}`), el(0x00209056, 'SH', '1'), el(0x00209057, 'UL', k + 1), el(0x00209128, 'UL', t + 1), el(0x00209157, 'UL', [1, k + 1, t + 1])]]),
    el(0x00209113, 'SQ', [[el(0x00200032, 'DS', g.positions[k]!.map(fmt))]]),
    el(0x00189114, 'SQ', [[el(0x00189082, 'FD', echo.timeMs)]]),
    el(0x00289145, 'SQ', [[el(0x00281052, 'DS', fmt(intercept)), el(0x00281053, 'DS', fmt(slope)), el(0x00281054, 'LO', 'US')]]),
  ];
  if (o.vendor === 'philips' && o.philipsScale) items.push(el(0x2005140f, 'SQ', [[el(0x20050010, 'LO', 'Philips Imaging DD 001'), el(0x2005100e, 'FL', o.philipsScale(t, k))]]));
  return items;
}

/** (a) Siemens XA: one enhanced file per volume; (b) Philips: one per run, or per volume. */
export function enhancedSeries(src: SeriesSource, o: SeriesOptions): WrittenFile[] {
  const g = geometry(src);
  const nz = src.dims[2];
  const echoes = echoesOf(o);
  const perVolume = o.vendor === 'siemens' || o.filePerVolume === true;
  const groups = perVolume ? src.volumes.map((_, t) => [t]) : [src.volumes.map((_, t) => t)];
  return groups.map((times, f) => {
    let frames = times.flatMap((t) => Array.from({ length: nz }, (_, k) => echoes.map((echo) => ({ t, k, echo })))).flat();
    if (o.frameOrder === 'slice-major') frames.sort((a, b) => a.k - b.k || a.t - b.t);
    if (o.frameOrder === 'shuffled') frames = frames.map((x, i) => ({ x, r: (i * 7919) % 104729 })).sort((a, b) => a.r - b.r).map(({ x }) => x);
    const instance = uid(`enhanced ${o.vendor} ${o.seriesNumber} ${f}`);
    const shared = [
      el(0x00189112, 'SQ', [[el(0x00180080, 'DS', fmt(src.repetitionTime * 1000))]]),
      el(0x00209116, 'SQ', [[el(0x00200037, 'DS', g.orientation.map(fmt))]]),
      el(0x00289110, 'SQ', [[el(0x00180050, 'DS', fmt(g.thickness)), el(0x00280030, 'DS', [fmt(g.dy), fmt(g.dx)])]]),
    ];
    const elements = [
      ...common(src, o, ENHANCED_MR, instance),
      el(0x00080033, 'TM', tm(START)),
      el(0x00180081, 'DS', fmt(echoes[0]!.timeMs)),
      el(0x00200013, 'IS', perVolume ? times[0]! + 1 : 1),
      el(0x00200105, 'IS', src.volumes.length),
      el(0x00280008, 'IS', frames.length),
      // Frames are indexed by stack, position in the stack and time (PS3.3 C.7.6.17), as Philips and XA do.
      el(0x00209222, 'SQ', [0x00209056, 0x00209057, 0x00209128].map((pointer) => [el(0x00209165, 'AT', pointer), el(0x00209167, 'AT', 0x00209111)])),
      el(0x52009229, 'SQ', [shared]),
      el(0x52009230, 'SQ', frames.map(({ t, k, echo }) => frameItems(src, o, t, k, echo, IDENTIFYING.StudyDate))),
      el(0x7fe00010, 'OW', new Uint8Array(Buffer.concat(frames.map(({ t, k, echo }) => framePixels(src, o, t, k, echo.factor))))),
      ...(o.vendor === 'philips' ? [el(0x20010010, 'LO', 'Philips Imaging DD 001'), el(0x20011018, 'SL', o.statedSlices ?? nz), el(0x20050014, 'LO', 'Philips Imaging DD 005')] : []),
    ];
    return { name: `EN${String(f + 1).padStart(4, '0')}.dcm`, bytes: part10(elements, o.syntax ?? EXPLICIT) };
  });
}

// ---------------------------------------------------------------------------------------------------
// Test plumbing: the rt-cloud run as the known series, and dcm2niix's conversion of written files

/** The first `count` volumes of the rt-cloud run as nibabel reads dcm2niix's NIfTI of it, with its slice times. */
export function rtCloudSource(nifti: { shape: number[]; affine: number[][]; data: Float32Array }, count: number, sliceTiming: readonly number[]): SeriesSource {
  const [nx, ny, nz] = nifti.shape as [number, number, number];
  const n = nx * ny * nz;
  return { dims: [nx, ny, nz], volumes: Array.from({ length: count }, (_, t) => nifti.data.slice(t * n, (t + 1) * n)), affine: nifti.affine, repetitionTime: 1.5, sliceTiming };
}

/** A synthetic series: smooth values with a signed or large range, on an oblique grid (K17 fixtures). */
export function syntheticSource(dims: readonly [number, number, number], volumes: number, value: (i: number, j: number, k: number, t: number) => number): SeriesSource {
  const [nx, ny, nz] = dims;
  const c = Math.cos(0.2);
  const s = Math.sin(0.2);
  return {
    dims,
    volumes: Array.from({ length: volumes }, (_, t) => {
      const out = new Float32Array(nx * ny * nz);
      for (let k = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) out[(k * ny + j) * nx + i] = value(i, j, k, t);
      return out;
    }),
    affine: [[-2.5, 0, 0, 40], [0, 2.5 * c, -3 * s, -30], [0, 2.5 * s, 3 * c, 10], [0, 0, 0, 1]],
    repetitionTime: 2,
    sliceTiming: Array.from({ length: nz }, (_, k) => (k % 2 === 0 ? k / 2 : Math.ceil(nz / 2) + (k - 1) / 2) * (2 / nz)),
  };
}

