import { describe, expect, it } from 'vitest';
import { analyzeCoupling } from '@metacompress/ir';
import { selectGroups } from './select-groups';
import { residualCnn } from './test-graphs';

describe('selectGroups', () => {
  const graph = residualCnn();
  const groups = analyzeCoupling(graph);

  it('selects every prunable group by default, never unprunable ones', () => {
    const s = selectGroups(graph, groups);
    expect(s.selected.map((g) => g.id)).toEqual(['stem', 'block.a']);
    expect(s.protected.get('fc')).toMatch(/graph output/);
  });

  it('includes by op type or name (with wildcards) through the producers', () => {
    expect(selectGroups(graph, groups, { names: ['block.*'] }).selected.map((g) => g.id)).toEqual([
      'stem',
      'block.a',
    ]);
    expect(selectGroups(graph, groups, { names: ['block.a'] }).selected.map((g) => g.id)).toEqual([
      'block.a',
    ]);
    expect(selectGroups(graph, groups, { opTypes: ['Gemm'] }).selected).toEqual([]);
  });

  it('exclude protects every group one of whose producers it names', () => {
    const s = selectGroups(graph, groups, { exclude: { names: ['block.b'] } });
    expect(s.selected.map((g) => g.id)).toEqual(['block.a']);
    expect(s.protected.get('stem')).toMatch(/exclude.*block\.b/);
    expect(selectGroups(graph, groups, { exclude: { opTypes: ['Conv'] } }).selected).toEqual([]);
  });
});
