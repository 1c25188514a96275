import type { PreprocessSpec } from '../image/preprocess.js';
import { UsageError } from '../util/errors.js';
import { loadNsfwjsModel, NSFWJS_MODEL_INFO, NSFWJS_MODEL_NAMES, type NsfwjsModelName } from './nsfwjs-loader.js';
import { tf } from './tf.js';

/**
 * The frozen, pretrained image tower: one of the nsfwjs networks with named feature taps.
 *
 * An endpoint is an internal activation [B, h, w, c]; a tap is an endpoint reduced per image:
 *   `<endpoint>_gap` global average pool -> [c]      `<endpoint>_gmp` global max pool -> [c]
 *   `<endpoint>_map` the spatial map itself -> [h*w*c] (row-major h, w, c; for attention pooling / heatmaps)
 * Endpoint `final` is the last conv block (what the nsfw classifier pools); the others are earlier layers,
 * less touched by the nsfw fine-tuning and so likely more generic.
 */
export type TowerName = NsfwjsModelName;
export const TOWER_NAMES = NSFWJS_MODEL_NAMES;
export type Pooling = 'gap' | 'gmp' | 'map';
export const POOLINGS: readonly Pooling[] = ['gap', 'gmp', 'map'];

/**
 * Input scaling. 'unit': RGB/255 in [0, 1], what nsfwjs feeds and what the nsfw fine-tuning saw.
 * 'signed': [-1, 1], what the ImageNet-pretrained Keras MobileNetV2 / InceptionV3 expect (their frozen lower
 * layers never saw [0, 1]). mobilenet_v2_mid maps [0, 1] to [-1, 1] inside its graph, so it is always 'unit'.
 * A tower id is the network name, plus "-signed" for the second variant (e.g. "inception_v3-signed").
 */
export type InputRange = 'unit' | 'signed';
export type TowerId = TowerName | `${TowerName}-signed`;

export function parseTowerId(id: string): { name: TowerName; inputRange: InputRange } {
  const signed = id.endsWith('-signed');
  const name = (signed ? id.slice(0, -'-signed'.length) : id) as TowerName;
  if (!TOWER_NAMES.includes(name) || (signed && name === 'mobilenet_v2_mid')) {
    throw new UsageError(`unknown image tower "${id}"; use one of ${TOWER_NAMES.join(', ')} (or mobilenet_v2-signed, inception_v3-signed)`);
  }
  return { name, inputRange: signed ? 'signed' : 'unit' };
}

export interface Endpoint {
  /** Layer name (layers models) or graph node name (graph models). */
  node: string;
  /** Per-image output shape [h, w, c]. */
  shape: [number, number, number];
  note: string;
}

const MID = 'StatefulPartitionedCall/sequential/keras_layer/StatefulPartitionedCall/StatefulPartitionedCall/StatefulPartitionedCall/predict/MobilenetV2/';

/**
 * Found by listing the layers / graph nodes (see scripts/cache-features.ts --list).
 * MobileNetV2 block outputs are narrow bottlenecks (96-320 ch), so earlier taps use the wide expand activations.
 * Keras mobilenet_v2 keeps blocks 0-10 frozen at ImageNet weights, inception_v3 everything before mixed6;
 * both were fine-tuned at lr 9e-7. mobilenet_v2_mid is a TF-Hub MobileNetV2-1.4 feature vector with a new head.
 */
export const TOWER_ENDPOINTS: Record<TowerName, Record<string, Endpoint>> = {
  mobilenet_v2: {
    final: { node: 'out_relu', shape: [7, 7, 1280], note: 'after Conv_1 (last conv)' },
    b16: { node: 'block_16_expand_relu', shape: [7, 7, 960], note: 'block 16 expansion' },
    b13: { node: 'block_13_expand_relu', shape: [14, 14, 576], note: 'block 13 expansion (stride-16 grid)' },
  },
  mobilenet_v2_mid: {
    final: { node: MID + 'Conv_1/Relu6', shape: [7, 7, 1792], note: 'after Conv_1 (last conv, width 1.4)' },
    b16: { node: MID + 'expanded_conv_16/expand/Relu6', shape: [7, 7, 1344], note: 'block 16 expansion' },
    b13: { node: MID + 'expanded_conv_13/expand/Relu6', shape: [14, 14, 816], note: 'block 13 expansion (stride-16 grid)' },
    // Earlier, less fine-tuned blocks (few-shot features for small, detailed inputs such as traffic signs).
    b10: { node: MID + 'expanded_conv_10/expand/Relu6', shape: [14, 14, 528], note: 'block 10 expansion (stride-16 grid)' },
    b6: { node: MID + 'expanded_conv_6/expand/Relu6', shape: [28, 28, 288], note: 'block 6 expansion (stride-8 grid)' },
    b3: { node: MID + 'expanded_conv_3/expand/Relu6', shape: [56, 56, 192], note: 'block 3 expansion (stride-4 grid)' },
  },
  inception_v3: {
    final: { node: 'mixed10', shape: [8, 8, 2048], note: 'last mixed block' },
    mixed8: { node: 'mixed8', shape: [8, 8, 1280], note: 'mixed8' },
    mixed7: { node: 'mixed7', shape: [17, 17, 768], note: 'mixed7 (stride-16 grid)' },
  },
};

export interface ImageTower {
  id: TowerId;
  name: TowerName;
  inputRange: InputRange;
  inputSize: number;
  /** Pass to src/image preprocessBatch(inputs, spec) to get the tower's input (add flip: true for the mirror). */
  preprocess: PreprocessSpec;
  endpoints: Record<string, Endpoint>;
  /** All tap names, `<endpoint>_<pooling>`. */
  taps: string[];
  /** Per-image length of a tap. */
  tapDim(tap: string): number;
  /**
   * Run the network once on a preprocessed batch [B, S, S, 3] and return, per requested tap, one Float32Array per image
   * (views into one buffer per tap). Default taps: every endpoint's gap.
   */
  features(batch: tf.Tensor4D, taps?: string[]): Promise<Record<string, Float32Array[]>>;
  /** The raw endpoint activations [B, h, w, c] (caller disposes), e.g. for attention pooling or heatmaps. */
  endpointTensors(batch: tf.Tensor4D, endpoints: string[]): tf.Tensor4D[];
  dispose(): void;
}

export function parseTap(tap: string): { endpoint: string; pooling: Pooling } {
  const i = tap.lastIndexOf('_');
  const pooling = tap.slice(i + 1) as Pooling;
  if (i <= 0 || !POOLINGS.includes(pooling)) throw new UsageError(`bad tap "${tap}": expected <endpoint>_<${POOLINGS.join('|')}>`);
  return { endpoint: tap.slice(0, i), pooling };
}

/** Horizontal mirror of an NHWC batch (test-time / cache-time augmentation). */
export function flipHorizontal(batch: tf.Tensor4D): tf.Tensor4D {
  return tf.reverse(batch, 2);
}

/** The input a tower expects, as a src/image PreprocessSpec (no model is loaded). */
export function towerPreprocessSpec(id: TowerId): PreprocessSpec {
  const { name, inputRange } = parseTowerId(id);
  const size = NSFWJS_MODEL_INFO[name].inputSize;
  // nsfwjs feeds RGB/255 in [0, 1], NHWC, squashed (bilinear) to the square input size; no mean/std.
  const spec: PreprocessSpec = { width: size, height: size, resize: 'squash', scale: 1 / 255, layout: 'nhwc' };
  if (inputRange === 'signed') Object.assign(spec, { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] });
  return spec;
}

export async function loadImageTower(id: TowerId): Promise<ImageTower> {
  const { name, inputRange } = parseTowerId(id);
  const loaded = await loadNsfwjsModel(name);
  const size = NSFWJS_MODEL_INFO[name].inputSize;
  const endpoints = TOWER_ENDPOINTS[name];
  const taps = Object.keys(endpoints).flatMap((e) => POOLINGS.map((p) => `${e}_${p}`));
  const preprocess = towerPreprocessSpec(id);

  const subModels = new Map<string, tf.LayersModel>();
  function endpointTensors(batch: tf.Tensor4D, names: string[]): tf.Tensor4D[] {
    for (const e of names) if (!endpoints[e]) throw new UsageError(`tower ${name} has no endpoint "${e}"; endpoints: ${Object.keys(endpoints).join(', ')}`);
    const nodes = names.map((e) => endpoints[e].node);
    if (loaded.kind === 'graph') {
      const out = loaded.model.execute(batch, nodes);
      return (Array.isArray(out) ? out : [out]) as tf.Tensor4D[];
    }
    const key = nodes.join('|');
    let sub = subModels.get(key);
    if (!sub) {
      const m = loaded.model;
      sub = tf.model({ inputs: m.inputs, outputs: nodes.map((n) => m.getLayer(n).output as tf.SymbolicTensor) });
      subModels.set(key, sub);
    }
    const out = sub.predict(batch);
    return (Array.isArray(out) ? out : [out]) as tf.Tensor4D[];
  }

  function tapDim(tap: string): number {
    const { endpoint, pooling } = parseTap(tap);
    const ep = endpoints[endpoint];
    if (!ep) throw new UsageError(`tower ${name} has no tap "${tap}"; taps: ${taps.join(', ')}`);
    return pooling === 'map' ? ep.shape[0] * ep.shape[1] * ep.shape[2] : ep.shape[2];
  }

  async function features(batch: tf.Tensor4D, wanted?: string[]): Promise<Record<string, Float32Array[]>> {
    const list = wanted ?? Object.keys(endpoints).map((e) => `${e}_gap`);
    const parsed = list.map((t) => ({ tap: t, dim: tapDim(t), ...parseTap(t) }));
    const eps = [...new Set(parsed.map((p) => p.endpoint))];
    const reduced = tf.tidy(() => {
      const acts = endpointTensors(batch, eps);
      return parsed.map((p) => {
        const a = acts[eps.indexOf(p.endpoint)];
        if (p.pooling === 'gap') return tf.mean(a, [1, 2]);
        if (p.pooling === 'gmp') return tf.max(a, [1, 2]);
        return tf.reshape(a, [a.shape[0], -1]);
      });
    });
    const out: Record<string, Float32Array[]> = {};
    const n = batch.shape[0];
    for (let i = 0; i < parsed.length; i++) {
      const flat = (await reduced[i].data()) as Float32Array;
      reduced[i].dispose();
      const { tap, dim } = parsed[i];
      out[tap] = Array.from({ length: n }, (_, j) => flat.subarray(j * dim, (j + 1) * dim));
    }
    return out;
  }

  return {
    id,
    name,
    inputRange,
    inputSize: size,
    preprocess,
    endpoints,
    taps,
    tapDim,
    features,
    endpointTensors,
    dispose() {
      // Sub-models share the base model's weights: disposing the base frees them all.
      subModels.clear();
      loaded.model.dispose();
    },
  };
}
