import { ArmError } from './arm-error.js';

/** Azure's naming rules per resource type (https://aka.ms/azure-naming-rules), simplified to the character sets and lengths. */
const RULES: Record<string, { pattern: RegExp; rule: string }> = {
  resourcegroup: { pattern: /^[-\w._()]{0,89}[-\w_()]$/u, rule: '1-90 characters: letters, digits, underscores, parentheses, hyphens and periods, not ending with a period' },
  network: { pattern: /^[A-Za-z0-9](?:[-\w.]{0,78}\w)?$/, rule: '1-80 characters: letters, digits, underscores, periods and hyphens; start with a letter or digit, end with a letter, digit or underscore' },
  virtualmachine: { pattern: /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?$/, rule: '1-64 characters: letters, digits and hyphens, not starting or ending with a hyphen' },
  trafficmanager: { pattern: /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/, rule: '1-63 characters: letters, digits and hyphens, not starting or ending with a hyphen' },
};

/** The naming rule families used by the resource kinds. */
export type NameRule = keyof typeof RULES;

/** Throws Azure's 400 for a name that breaks `rule` (`InvalidResourceGroup` for groups, `InvalidResourceName` otherwise). */
export function checkName(rule: NameRule, name: string, type: string): void {
  const { pattern, rule: text } = RULES[rule]!;
  if (pattern.test(name)) return;
  if (rule === 'resourcegroup') {
    throw new ArmError(400, 'InvalidResourceGroup', `The provided resource group name '${name}' has these invalid characters or length. The name can be ${text}.`);
  }
  throw new ArmError(400, 'InvalidResourceName', `Resource name ${name} is invalid. The name can be ${text}. Type: ${type}.`);
}
