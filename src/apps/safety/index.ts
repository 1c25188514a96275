/** Image safety at index time (nsfwjs classifier + policy); text checks live in src/text/validate.ts. */
export { loadSafetyClassifier, SAFETY_CLASSES, type SafetyClassifier, type SafetyScores } from './classifier.js';
export { judge, isHidden, parseSafetyPolicy, unsafeScore, SAFETY_POLICIES, SAFETY_LEVELS, type SafetyPolicy, type SafetyLevel, type SafetyOptions, type SafetyVerdict } from './policy.js';
