/**
 * Object and attribute words the question router understands, in English and Chinese, with the COCO class
 * each maps to where one exists (so the detector can verify or count it). A concept without `coco` is verified
 * by the contrastive model only. `parent` marks a subtype of a COCO class (a man is a person, not every person
 * is a man): the detector cannot confirm it, only the contrastive model can.
 */
export interface Concept {
  /** Canonical English name, also used in prompts and answers. */
  key: string;
  /** English surface forms (lower case; plurals included). */
  en: string[];
  /** Chinese surface forms, longest first is not required (matching prefers longer). */
  zh: string[];
  /** The COCO class (COCO_LABELS spelling) this concept is exactly. */
  coco?: string;
  /** The COCO class this concept is a kind of. */
  parent?: string;
  /** Plural English name for answers ("people", "dogs"). */
  plural?: string;
}

const c = (key: string, en: string[], zh: string[], extra: Partial<Concept> = {}): Concept => ({ key, en: [key, ...en], zh, ...extra });

export const CONCEPTS: readonly Concept[] = [
  // People: "person" is the COCO class; the rest are kinds of it.
  c('person', ['persons', 'people', 'human', 'humans', 'someone', 'anyone', 'anybody', 'somebody', 'pedestrian', 'pedestrians'], ['人', '人们', '人物', '行人', '有人'], { coco: 'person', plural: 'people' }),
  c('man', ['men', 'guy', 'guys', 'gentleman'], ['男人', '男子', '男士', '男的'], { parent: 'person', plural: 'men' }),
  c('woman', ['women', 'lady', 'ladies'], ['女人', '女子', '女士', '妇女', '女的'], { parent: 'person', plural: 'women' }),
  c('child', ['children', 'kid', 'kids', 'toddler', 'toddlers', 'baby', 'babies'], ['孩子', '小孩', '儿童', '小朋友', '婴儿', '宝宝'], { parent: 'person', plural: 'children' }),
  c('boy', ['boys'], ['男孩', '小男孩'], { parent: 'person' }),
  c('girl', ['girls'], ['女孩', '小女孩'], { parent: 'person' }),
  // Animals.
  c('dog', ['dogs', 'puppy', 'puppies', 'pup'], ['狗', '小狗', '狗狗', '犬'], { coco: 'dog' }),
  c('cat', ['cats', 'kitten', 'kittens', 'kitty'], ['猫', '小猫', '猫咪'], { coco: 'cat' }),
  c('horse', ['horses', 'pony', 'ponies'], ['马', '小马'], { coco: 'horse' }),
  c('bird', ['birds'], ['鸟', '小鸟'], { coco: 'bird' }),
  c('sheep', ['lamb', 'lambs'], ['羊', '绵羊'], { coco: 'sheep', plural: 'sheep' }),
  c('cow', ['cows', 'cattle', 'bull', 'bulls'], ['牛', '奶牛'], { coco: 'cow' }),
  c('elephant', ['elephants'], ['大象', '象'], { coco: 'elephant' }),
  c('bear', ['bears'], ['熊'], { coco: 'bear' }),
  c('zebra', ['zebras'], ['斑马'], { coco: 'zebra' }),
  c('giraffe', ['giraffes'], ['长颈鹿'], { coco: 'giraffe' }),
  // Vehicles.
  c('bicycle', ['bicycles', 'bike', 'bikes', 'cycle'], ['自行车', '单车', '脚踏车'], { coco: 'bicycle' }),
  c('car', ['cars', 'automobile'], ['汽车', '轿车', '小汽车', '车'], { coco: 'car' }),
  c('motorcycle', ['motorcycles', 'motorbike', 'motorbikes', 'dirt bike', 'dirt bikes', 'scooter'], ['摩托车', '摩托'], { coco: 'motorcycle' }),
  c('bus', ['buses'], ['公交车', '巴士', '公共汽车'], { coco: 'bus', plural: 'buses' }),
  c('truck', ['trucks', 'lorry'], ['卡车', '货车'], { coco: 'truck' }),
  c('train', ['trains'], ['火车', '列车'], { coco: 'train' }),
  c('boat', ['boats', 'ship', 'ships', 'canoe', 'canoes', 'kayak', 'kayaks', 'raft'], ['船', '小船', '皮划艇', '独木舟'], { coco: 'boat' }),
  c('airplane', ['airplanes', 'plane', 'planes', 'aeroplane', 'jet'], ['飞机'], { coco: 'airplane' }),
  // Things.
  c('ball', ['balls', 'football', 'soccer ball', 'basketball', 'tennis ball', 'volleyball'], ['球', '足球', '篮球', '网球'], { coco: 'sports ball' }),
  c('frisbee', ['frisbees'], ['飞盘'], { coco: 'frisbee' }),
  c('kite', ['kites'], ['风筝'], { coco: 'kite' }),
  c('skateboard', ['skateboards'], ['滑板'], { coco: 'skateboard' }),
  c('surfboard', ['surfboards'], ['冲浪板'], { coco: 'surfboard' }),
  c('skis', ['ski'], ['滑雪板', '雪橇'], { coco: 'skis', plural: 'skis' }),
  c('snowboard', ['snowboards'], ['单板'], { coco: 'snowboard' }),
  c('umbrella', ['umbrellas'], ['伞', '雨伞'], { coco: 'umbrella' }),
  c('backpack', ['backpacks', 'rucksack'], ['背包', '双肩包'], { coco: 'backpack' }),
  c('handbag', ['handbags', 'purse'], ['手提包', '包'], { coco: 'handbag' }),
  c('bench', ['benches'], ['长椅', '长凳'], { coco: 'bench', plural: 'benches' }),
  c('chair', ['chairs'], ['椅子'], { coco: 'chair' }),
  c('couch', ['couches', 'sofa', 'sofas'], ['沙发'], { coco: 'couch', plural: 'couches' }),
  c('bed', ['beds'], ['床'], { coco: 'bed' }),
  c('table', ['tables', 'dining table'], ['桌子', '餐桌', '桌'], { coco: 'dining table' }),
  c('bottle', ['bottles'], ['瓶子', '瓶'], { coco: 'bottle' }),
  c('cup', ['cups', 'mug', 'mugs'], ['杯子', '杯'], { coco: 'cup' }),
  c('bowl', ['bowls'], ['碗'], { coco: 'bowl' }),
  c('cake', ['cakes'], ['蛋糕'], { coco: 'cake' }),
  c('pizza', ['pizzas'], ['披萨', '比萨'], { coco: 'pizza' }),
  c('banana', ['bananas'], ['香蕉'], { coco: 'banana' }),
  c('apple', ['apples'], ['苹果'], { coco: 'apple' }),
  c('orange', ['oranges'], ['橙子', '橘子'], { coco: 'orange' }),
  c('laptop', ['laptops', 'computer', 'computers'], ['笔记本电脑', '电脑'], { coco: 'laptop' }),
  c('tv', ['tvs', 'television', 'televisions'], ['电视', '电视机'], { coco: 'tv', plural: 'TVs' }),
  c('phone', ['phones', 'cell phone', 'cellphone', 'mobile phone', 'smartphone'], ['手机', '电话'], { coco: 'cell phone' }),
  c('book', ['books'], ['书', '书本'], { coco: 'book' }),
  c('clock', ['clocks'], ['钟', '时钟', '钟表'], { coco: 'clock' }),
  c('vase', ['vases'], ['花瓶'], { coco: 'vase' }),
  c('teddy bear', ['teddy bears', 'teddy'], ['泰迪熊', '玩具熊'], { coco: 'teddy bear' }),
  c('potted plant', ['potted plants', 'houseplant', 'pot plant'], ['盆栽', '盆景'], { coco: 'potted plant' }),
  c('traffic light', ['traffic lights'], ['红绿灯', '交通灯'], { coco: 'traffic light' }),
  c('stop sign', ['stop signs'], ['停车标志'], { coco: 'stop sign' }),
  c('fire hydrant', ['fire hydrants', 'hydrant'], ['消防栓'], { coco: 'fire hydrant' }),
  c('tie', ['ties', 'necktie'], ['领带'], { coco: 'tie' }),
  // Scenes, materials and things COCO has no class for: the contrastive model only.
  c('water', [], ['水']),
  c('grass', ['lawn'], ['草', '草地', '草坪']),
  c('snow', ['snowy'], ['雪', '雪地']),
  c('beach', ['beaches', 'sand'], ['海滩', '沙滩']),
  c('sea', ['ocean', 'waves', 'wave'], ['海', '大海', '海浪']),
  c('pool', ['pools', 'swimming pool'], ['游泳池', '泳池']),
  c('street', ['streets', 'road', 'roads', 'sidewalk'], ['街道', '街', '马路', '道路']),
  c('mountain', ['mountains', 'hill', 'hills'], ['山', '山坡']),
  c('rock', ['rocks', 'boulder', 'cliff'], ['岩石', '石头']),
  c('tree', ['trees', 'forest', 'woods'], ['树', '树木', '树林']),
  c('field', ['fields', 'meadow'], ['田野', '草原']),
  c('building', ['buildings', 'house', 'houses'], ['建筑', '房子', '楼']),
  c('crowd', ['crowds'], ['人群']),
  c('hat', ['hats', 'cap', 'helmet'], ['帽子', '头盔']),
  c('shirt', ['shirts', 't-shirt'], ['衬衫', 'T恤']),
  c('jacket', ['jackets', 'coat'], ['夹克', '外套']),
  c('dress', ['dresses'], ['裙子', '连衣裙']),
  c('sunglasses', ['glasses'], ['太阳镜', '墨镜', '眼镜'], { plural: 'sunglasses' }),
  c('flower', ['flowers'], ['花', '鲜花']),
  c('fence', ['fences'], ['栅栏', '围栏']),
  c('stairs', ['steps', 'staircase'], ['楼梯', '台阶'], { plural: 'stairs' }),
  c('fountain', ['fountains'], ['喷泉']),
  c('sign', ['signs', 'poster'], ['标志', '招牌', '牌子']),
  c('fire', ['flames'], ['火']),
  c('sky', [], ['天空']),
];

/** Colours: attributes the contrastive model verifies ("is the dog black?", "有红色的吗"). */
export const COLOURS: readonly { key: string; zh: string[] }[] = [
  { key: 'black', zh: ['黑色', '黑'] }, { key: 'white', zh: ['白色', '白'] }, { key: 'red', zh: ['红色', '红'] },
  { key: 'blue', zh: ['蓝色', '蓝'] }, { key: 'green', zh: ['绿色', '绿'] }, { key: 'yellow', zh: ['黄色', '黄'] },
  { key: 'brown', zh: ['棕色', '褐色', '咖啡色'] }, { key: 'pink', zh: ['粉色', '粉红'] }, { key: 'orange', zh: ['橙色', '橘色'] },
  { key: 'purple', zh: ['紫色', '紫'] }, { key: 'grey', zh: ['灰色', '灰'] }, { key: 'gray', zh: [] },
];

const byKey = new Map(CONCEPTS.map((x) => [x.key, x]));

export function conceptByKey(key: string): Concept | undefined {
  return byKey.get(key);
}

export function pluralOf(concept: Concept): string {
  return concept.plural ?? (concept.en[1] && concept.en[1].startsWith(concept.key) ? concept.en[1] : concept.key + 's');
}

/** The first Chinese form: the one used in Chinese prompts and answers. */
export function zhName(concept: Concept): string {
  return concept.zh[0] ?? concept.key;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Every concept an English text mentions (whole words, multi-word forms first), in order of appearance.
 * Used both for questions and for deciding what a Flickr8k caption mentions.
 */
export function findConceptsEn(text: string): { concept: Concept; index: number; form: string }[] {
  const lower = ' ' + text.toLowerCase().replace(/[^a-z0-9'\- ]+/g, ' ') + ' ';
  const hits: { concept: Concept; index: number; form: string }[] = [];
  const taken: [number, number][] = [];
  const forms = CONCEPTS.flatMap((concept) => concept.en.map((form) => ({ concept, form }))).sort((a, b) => b.form.length - a.form.length);
  for (const { concept, form } of forms) {
    const re = new RegExp(` ${escape(form)}(?= )`, 'g');
    for (const m of lower.matchAll(re)) {
      const start = m.index + 1;
      const end = start + form.length;
      if (taken.some(([s, e]) => start < e && end > s)) continue;
      taken.push([start, end]);
      hits.push({ concept, index: start - 1, form });
    }
  }
  return hits.sort((a, b) => a.index - b.index);
}

/** Same for Chinese: longest surface form wins at each position. */
export function findConceptsZh(text: string): { concept: Concept; index: number; form: string }[] {
  const forms = CONCEPTS.flatMap((concept) => concept.zh.map((form) => ({ concept, form }))).sort((a, b) => b.form.length - a.form.length);
  const hits: { concept: Concept; index: number; form: string }[] = [];
  const taken: [number, number][] = [];
  for (const { concept, form } of forms) {
    let from = 0;
    for (;;) {
      const i = text.indexOf(form, from);
      if (i < 0) break;
      from = i + 1;
      if (taken.some(([s, e]) => i < e && i + form.length > s)) continue;
      taken.push([i, i + form.length]);
      hits.push({ concept, index: i, form });
    }
  }
  return hits.sort((a, b) => a.index - b.index);
}
