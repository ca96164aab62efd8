/**
 * Ditto/LivePortrait keypoint math (motion_stitch.py, LivePortrait camera.py): head pose bins → degrees
 * (softmax over 66 bins, Σ p·idx·3 − 97.5), rotation R = (Rz·Ry·Rx)ᵀ, and the driving keypoints
 * kp = s·(kp_c·R + exp) + [tx, ty, 0].
 */

/** The 265-d motion vector layout: scale−1, pitch/yaw/roll bins (66 each), t (3), exp (63). */
export const MOTION_LAYOUT = { scale: 0, pitch: 1, yaw: 67, roll: 133, t: 199, exp: 202, size: 265 } as const;
export const POSE_BINS = 66;

export function binsToDegrees(bins: ArrayLike<number>, offset = 0, n = POSE_BINS): number {
  let max = -Infinity;
  for (let i = 0; i < n; i++) max = Math.max(max, bins[offset + i] as number);
  let z = 0;
  let acc = 0;
  for (let i = 0; i < n; i++) {
    const e = Math.exp((bins[offset + i] as number) - max);
    z += e;
    acc += e * i;
  }
  return (acc / z) * 3 - 97.5;
}

/** Row-major 3×3 R = (Rz(roll)·Ry(yaw)·Rx(pitch))ᵀ, angles in degrees. */
export function rotationMatrix(pitchDeg: number, yawDeg: number, rollDeg: number): Float64Array {
  const x = (pitchDeg / 180) * Math.PI;
  const y = (yawDeg / 180) * Math.PI;
  const z = (rollDeg / 180) * Math.PI;
  const rx = [1, 0, 0, 0, Math.cos(x), -Math.sin(x), 0, Math.sin(x), Math.cos(x)];
  const ry = [Math.cos(y), 0, Math.sin(y), 0, 1, 0, -Math.sin(y), 0, Math.cos(y)];
  const rz = [Math.cos(z), -Math.sin(z), 0, Math.sin(z), Math.cos(z), 0, 0, 0, 1];
  const mm = (a: number[], b: number[]): number[] => {
    const o: number[] = new Array(9).fill(0);
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 3; j++) for (let k = 0; k < 3; k++) o[i * 3 + j] = (o[i * 3 + j] as number) + (a[i * 3 + k] as number) * (b[k * 3 + j] as number);
    return o;
  };
  const r = mm(mm(rz, ry), rx);
  const t = new Float64Array(9);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) t[i * 3 + j] = r[j * 3 + i] as number;
  return t;
}

/**
 * Keypoints [numKp × 3] for a motion vector and canonical keypoints kp_c (numKp × 3).
 * kp = s·(kp_c·R + exp) + [tx, ty, 0], with s = motion[0] + 1.
 */
export function motionToKeypoints(motion: ArrayLike<number>, kpCanonical: ArrayLike<number>, numKp = 21): Float32Array {
  const L = MOTION_LAYOUT;
  const R = rotationMatrix(binsToDegrees(motion, L.pitch), binsToDegrees(motion, L.yaw), binsToDegrees(motion, L.roll));
  const s = (motion[L.scale] as number) + 1;
  const tx = motion[L.t] as number;
  const ty = motion[L.t + 1] as number;
  const out = new Float32Array(numKp * 3);
  for (let k = 0; k < numKp; k++) {
    for (let j = 0; j < 3; j++) {
      let v = 0;
      for (let i = 0; i < 3; i++) v += (kpCanonical[k * 3 + i] as number) * (R[i * 3 + j] as number);
      v += motion[L.exp + k * 3 + j] as number;
      v *= s;
      if (j === 0) v += tx;
      else if (j === 1) v += ty;
      out[k * 3 + j] = v;
    }
  }
  return out;
}

/** Packs motion_extractor outputs into the 265-d motion vector (scale stored minus 1). */
export function packMotion(o: {
  scale: ArrayLike<number>;
  pitch: ArrayLike<number>;
  yaw: ArrayLike<number>;
  roll: ArrayLike<number>;
  t: ArrayLike<number>;
  exp: ArrayLike<number>;
}): Float32Array {
  const L = MOTION_LAYOUT;
  const m = new Float32Array(L.size);
  m[L.scale] = (o.scale[0] as number) - 1;
  for (let i = 0; i < POSE_BINS; i++) {
    m[L.pitch + i] = o.pitch[i] as number;
    m[L.yaw + i] = o.yaw[i] as number;
    m[L.roll + i] = o.roll[i] as number;
  }
  for (let i = 0; i < 3; i++) m[L.t + i] = o.t[i] as number;
  for (let i = 0; i < 63; i++) m[L.exp + i] = o.exp[i] as number;
  return m;
}
