import { createRng } from '../../src/util/rng.js';

/**
 * Flickr8k-like captions, English and Chinese (alternating), generated from a seed so tests need no dataset:
 * short ones, typical ones, and some longer than the text tower's max_length (truncation).
 */
const EN = {
  subject: ['a dog', 'two dogs', 'a black dog', 'a little girl', 'a man', 'a woman', 'three children', 'a boy', 'a brown horse', 'a group of people', 'a cyclist', 'a skier'],
  verb: ['runs', 'is jumping', 'plays', 'sits', 'is walking', 'climbs', 'swims', 'rides a bike', 'is standing', 'looks up'],
  place: ['on the beach', 'in the snow', 'through the grass', 'near a lake', 'on a city street', 'in front of a building', 'in the water', 'on a rock', 'in a park', 'down the hill'],
  extra: ['with a red ball', 'wearing a blue shirt', 'while another dog watches', 'at sunset', 'holding a stick in its mouth', 'next to a wooden fence'],
};
const ZH = {
  subject: ['一只狗', '两只狗', '一只黑狗', '一个小女孩', '一个男人', '一个女人', '三个孩子', '一个男孩', '一匹棕色的马', '一群人'],
  place: ['在海滩上', '在雪地里', '在草地上', '在湖边', '在城市街道上', '在建筑物前', '在水里', '在岩石上', '在公园里'],
  verb: ['奔跑', '跳跃', '玩耍', '坐着', '散步', '攀爬', '游泳', '骑自行车', '站着'],
  extra: ['嘴里叼着一根棍子', '穿着蓝色的衬衫', '旁边有一个木栅栏', '夕阳西下', '另一只狗在看着'],
};

export function captionLike(n: number, seed: number): string[] {
  const rng = createRng(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rng() * xs.length)];
  return Array.from({ length: n }, (_, i) => {
    const kind = i % 5; // 0: short, 1-3: typical, 4: long (past max_length)
    if (i % 2 === 0) {
      if (kind === 0) return pick(EN.subject);
      const s = `${pick(EN.subject)} ${pick(EN.verb)} ${pick(EN.place)}`;
      return kind === 4 ? `${s} ${pick(EN.extra)} and ${pick(EN.subject)} ${pick(EN.verb)} ${pick(EN.place)} ${pick(EN.extra)} .` : `${s} .`;
    }
    if (kind === 0) return pick(ZH.subject);
    const s = `${pick(ZH.subject)}${pick(ZH.place)}${pick(ZH.verb)}`;
    return kind === 4 ? `${s}，${pick(ZH.extra)}，${pick(ZH.subject)}${pick(ZH.place)}${pick(ZH.verb)}。` : `${s}。`;
  });
}
