import { describe, expect, it } from 'vitest';
import { pointInTimeSelect } from '../../../src/offline/point-in-time.js';

describe('pointInTimeSelect', () => {
  const labels = { table: '`db`.`labels`', columns: ['card', 'customer', 'ts', 'y'], time: 'ts' };

  it('one view: an ASOF LEFT JOIN on the keys and label time ≥ as_of, FINAL, one version', () => {
    const sql = pointInTimeSelect(labels, [
      {
        table: '`db`.`features_card_fraud`',
        version: 'a94f94afeb45',
        keys: [{ label: 'card', history: 'card_id' }],
        features: [
          { column: 'txn_count_5m', as: 'txn_count_5m' },
          { column: 'amount_p95_7d', as: 'p95' },
        ],
      },
    ]);
    expect(sql).toBe(`SELECT l.\`_row\` AS \`_row\`,
  l.\`card\` AS \`card\`,
  l.\`customer\` AS \`customer\`,
  l.\`ts\` AS \`ts\`,
  l.\`y\` AS \`y\`,
  f0.\`txn_count_5m\` AS \`txn_count_5m\`,
  f0.\`amount_p95_7d\` AS \`p95\`
FROM \`db\`.\`labels\` AS l
ASOF LEFT JOIN (
  SELECT \`card_id\`, \`as_of\`, \`txn_count_5m\`, \`amount_p95_7d\`
  FROM \`db\`.\`features_card_fraud\` FINAL
  WHERE \`version\` = 'a94f94afeb45'
    AND \`card_id\` IN (SELECT \`card\` FROM \`db\`.\`labels\`)
    AND \`as_of\` <= (SELECT max(\`ts\`) FROM \`db\`.\`labels\`)
) AS f0 ON l.\`card\` = f0.\`card_id\` AND l.\`ts\` >= f0.\`as_of\`
SETTINGS join_use_nulls = 0`);
  });

  it('labels dense in the history: no entity filter, the time bound stays', () => {
    const sql = pointInTimeSelect(labels, [
      {
        table: '`db`.`features_card_fraud`',
        version: 'v1',
        narrowToLabelKeys: false,
        keys: [{ label: 'card', history: 'card_id' }],
        features: [{ column: 'x', as: 'x' }],
      },
    ]);
    expect(sql).not.toContain(' IN (SELECT');
    expect(sql).toContain(
      "WHERE `version` = 'v1'\n    AND `as_of` <= (SELECT max(`ts`) FROM `db`.`labels`)",
    );
  });

  it('two views, composite keys and a non-default empty value', () => {
    const sql = pointInTimeSelect(labels, [
      {
        table: '`db`.`features_a`',
        version: 'v1',
        keys: [{ label: 'card', history: 'card_id' }],
        features: [{ column: 'x', as: 'x' }],
      },
      {
        table: '`db`.`features_b`',
        version: 'v2',
        keys: [
          { label: 'customer', history: 'customer_id' },
          { label: 'card', history: 'card_id' },
        ],
        features: [{ column: 'plus_one', as: 'plus_one', empty: 'CAST(1 AS Nullable(Float64))' }],
      },
    ]);
    expect(sql).toContain(
      'if(f1._fs_matched = 1, f1.`plus_one`, CAST(1 AS Nullable(Float64))) AS `plus_one`',
    );
    expect(sql).toContain(
      'SELECT `customer_id`, `card_id`, `as_of`, toUInt8(1) AS _fs_matched, `plus_one`',
    );
    expect(sql).toContain(
      'AND (`customer_id`, `card_id`) IN (SELECT `customer`, `card` FROM `db`.`labels`)',
    );
    expect(sql).toContain(
      ') AS f1 ON l.`customer` = f1.`customer_id` AND l.`card` = f1.`card_id` AND l.`ts` >= f1.`as_of`',
    );
    expect(sql.match(/ASOF LEFT JOIN/g)).toHaveLength(2);
    expect(sql).not.toContain('f0._fs_matched');
  });
});
