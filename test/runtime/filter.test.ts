/** Filter patterns on record values, as EventBridge matches them; unsupported shapes are refused. */
import { compileFilters, FilterPatternError } from '../../local/runtime/esm/filter';

const matches = (pattern: object, value: unknown) =>
  compileFilters([JSON.stringify({ value: pattern })])!(
    Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)),
  );

describe('filter patterns', () => {
  it.each([
    [{ kind: ['keep'] }, { kind: 'keep' }, true],
    [{ kind: ['keep'] }, { kind: 'drop' }, false],
    [{ kind: ['keep'] }, {}, false],
    [{ total: [{ numeric: ['>', 10, '<=', 20] }] }, { total: 20 }, true],
    [{ total: [{ numeric: ['>', 10] }] }, { total: '11' }, false],
    [{ sku: [{ prefix: 'te' }] }, { sku: 'tea' }, true],
    [{ sku: [{ suffix: 'ea' }] }, { sku: 'tea' }, true],
    [{ sku: [{ prefix: { 'equals-ignore-case': 'TE' } }] }, { sku: 'tea' }, true],
    [{ sku: [{ 'equals-ignore-case': 'TEA' }] }, { sku: 'tea' }, true],
    [{ sku: [{ 'anything-but': ['tea', 'mug'] }] }, { sku: 'mug' }, false],
    [{ sku: [{ 'anything-but': { suffix: '-test' } }] }, { sku: 'a-test' }, false],
    [{ sku: [{ 'anything-but': { suffix: '-test' } }] }, { sku: 'real' }, true],
    [{ sku: [{ 'anything-but': { 'equals-ignore-case': 'X' } }] }, { sku: 'x' }, false],
    [{ note: [{ exists: false }] }, { other: 1 }, true],
    [{ note: [{ exists: true }] }, { other: 1 }, false],
    // Arrays are flattened: any element may match.
    [{ items: { sku: ['tea'] } }, { items: [{ sku: 'mug' }, { sku: 'tea' }] }, true],
    [{ items: { sku: ['tea'] } }, { items: [{ sku: 'mug' }] }, false],
    [{ tags: ['vip'] }, { tags: ['new', 'vip'] }, true],
    // A plain string value matches string patterns.
    [[{ 'anything-but': ['error'] }], 'ok', true],
    [[{ 'anything-but': ['error'] }], 'error', false],
  ])('%j on %j → %s', (pattern, value, expected) => {
    expect(matches(pattern, value)).toBe(expected);
  });

  it.each([
    ['{"value":{"sku":[{"wildcard":"t*"}]}}', /operator "wildcard" is not supported locally/],
    ['{"value":{"sku":[{"prefix":"a","suffix":"b"}]}}', /a matcher takes one operator/],
    [
      '{"value":{"sku":[{"anything-but":{"wildcard":"x"}}]}}',
      /anything-but takes a value, a list, or one of/,
    ],
    ['{"value":{"sku":[{"prefix":{"numeric":1}}]}}', /prefix takes a string/],
    ['{"key":{"a":["b"]}}', /filter on "value" only/],
    ['{"value":{"sku":"tea"}}', /leaf values must be arrays/],
    ['not json', /not JSON/],
  ])('%s is refused', (pattern, message) => {
    expect(() => compileFilters([pattern])).toThrow(FilterPatternError);
    expect(() => compileFilters([pattern])).toThrow(message);
  });

  it('no patterns means every record matches', () => {
    expect(compileFilters([])).toBeUndefined();
  });
});
