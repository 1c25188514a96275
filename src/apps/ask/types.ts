import type { AskLang } from './router.js';

export type SkillName = 'caption' | 'verify' | 'count' | 'ocr' | 'unanswerable';

/** One answer. `value` is the machine-readable form (yes/no as a boolean, a count as a number, text as a string). */
export interface AskAnswer {
  answer: string;
  skill: SkillName;
  /** 0..1: how likely the answer is right, from dev calibration where the skill has one. */
  confidence: number;
  lang: AskLang;
  value?: boolean | number | string;
  /** Skill-specific evidence (scores, boxes, the phrase checked). */
  detail?: Record<string, unknown>;
}
