import { tf } from './tf.js';

/**
 * Inference-time rewrite of a Keras (tfjs layers) topology: fold every BatchNormalization into the convolution
 * before it, and a following plain ReLU into the convolution's activation.
 *
 * Why: tfjs-layers runs BN and the activation as separate kernels; on the wasm backend BN alone took ~30% of the
 * MobileNetV2 forward pass, and a conv with bias + relu runs as one fused kernel. Outputs match up to float rounding.
 * Layers that are folded away disappear from the model; consumers are rewired to the conv, so tap names must be
 * layers that survive (ReLU6 layers, Concatenate, Add are kept).
 */

interface KerasLayer {
  name: string;
  class_name: string;
  config: Record<string, unknown>;
  inbound_nodes: [string, number, number, Record<string, unknown>][][];
}

interface KerasTopology {
  model_config: { config: { layers: KerasLayer[]; output_layers?: [string, number, number][] } };
}

const CONVS = new Set(['Conv2D', 'DepthwiseConv2D']);

function isPlainRelu(l: KerasLayer): boolean {
  if (l.class_name === 'Activation') return l.config.activation === 'relu';
  if (l.class_name === 'ReLU') {
    const c = l.config;
    return (c.max_value === null || c.max_value === undefined) && !c.negative_slope && !c.threshold;
  }
  return false;
}

export function foldBatchNorm(topology: object, weights: tf.NamedTensorMap): { topology: object; weights: tf.NamedTensorMap } {
  const topo = structuredClone(topology) as KerasTopology;
  const layers = topo.model_config.config.layers;
  const byName = new Map(layers.map((l) => [l.name, l]));
  const consumers = new Map<string, KerasLayer[]>();
  for (const l of layers) {
    for (const node of l.inbound_nodes) for (const [src] of node) consumers.set(src, [...(consumers.get(src) ?? []), l]);
  }
  const out: tf.NamedTensorMap = { ...weights };
  const removed = new Map<string, string>(); // folded layer -> the conv that replaces it

  const onlyInput = (l: KerasLayer): KerasLayer | undefined =>
    l.inbound_nodes.length === 1 && l.inbound_nodes[0].length === 1 ? byName.get(l.inbound_nodes[0][0][0]) : undefined;

  for (const bn of layers) {
    if (bn.class_name !== 'BatchNormalization') continue;
    const conv = onlyInput(bn);
    if (!conv || !CONVS.has(conv.class_name) || consumers.get(conv.name)?.length !== 1) continue;
    if (conv.config.activation !== 'linear') continue;
    const eps = Number(bn.config.epsilon ?? 1e-3);
    const w = (k: string) => weights[`${bn.name}/${k}`];
    const kernelKey = conv.class_name === 'Conv2D' ? `${conv.name}/kernel` : `${conv.name}/depthwise_kernel`;
    const biasKey = `${conv.name}/bias`;
    const [kernel, bias] = tf.tidy(() => {
      const s = tf.div(bn.config.scale === false ? tf.onesLike(w('moving_mean')) : w('gamma'), tf.sqrt(tf.add(w('moving_variance'), eps)));
      const k = weights[kernelKey];
      // Conv2D kernel [kh, kw, in, out]; DepthwiseConv2D [kh, kw, in, mult] with output channel in*mult + m.
      const scaledK = conv.class_name === 'Conv2D' ? tf.mul(k, s) : tf.mul(k, tf.reshape(s, [k.shape[2] as number, k.shape[3] as number]));
      const b0 = conv.config.use_bias ? weights[biasKey] : tf.zerosLike(w('moving_mean'));
      const beta = bn.config.center === false ? tf.zerosLike(s) : w('beta');
      return [scaledK, tf.add(tf.mul(tf.sub(b0, w('moving_mean')), s), beta)];
    });
    out[kernelKey] = kernel;
    out[biasKey] = bias;
    for (const k of ['gamma', 'beta', 'moving_mean', 'moving_variance']) delete out[`${bn.name}/${k}`];
    conv.config.use_bias = true;
    removed.set(bn.name, conv.name);
    // A plain ReLU right after the BN fuses into the conv kernel (tfjs fuses 'relu', not 'relu6').
    const next = consumers.get(bn.name) ?? [];
    if (next.length === 1 && isPlainRelu(next[0])) {
      conv.config.activation = 'relu';
      removed.set(next[0].name, conv.name);
      consumers.set(conv.name, consumers.get(next[0].name) ?? []);
    } else {
      consumers.set(conv.name, next);
    }
  }

  topo.model_config.config.layers = layers.filter((l) => !removed.has(l.name));
  for (const l of topo.model_config.config.layers) {
    for (const node of l.inbound_nodes) for (const ref of node) ref[0] = removed.get(ref[0]) ?? ref[0];
  }
  for (const ref of topo.model_config.config.output_layers ?? []) ref[0] = removed.get(ref[0]) ?? ref[0];
  return { topology: topo, weights: out };
}
