import { describe, expect, it } from 'vitest';
import { KEY_HASH_COLLISION, pointInTimeSelect } from '../../../src/offline/point-in-time.js';

describe('pointInTimeSelect', () => {
  const labels = { table: '`db`.`labels`', columns: ['card', 'customer', 'ts', 'y'], time: 'ts' };
  const oneView = {
    table: '`db`.`features_card_fraud`',
    version: 'a94f94afeb45',
    keys: [{ label: 'card', history: 'card_id' }],
    features: [
      { column: 'txn_count_5m', as: 'txn_count_5m' },
      { column: 'amount_p95_7d', as: 'p95' },
    ],
  };

  it('one view: an ASOF join on keys and as_of only, then the feature columns (FINAL) by (key hash, as_of)', () => {
    const sql = pointInTimeSelect(labels, [oneView]);
    expect(sql)
      .toBe(`SELECT \`_row\`, \`card\`, \`customer\`, \`ts\`, \`y\`, \`txn_count_5m\`, \`p95\`
FROM (
  SELECT m0.\`_row\` AS \`_row\`,
    m0.\`card\` AS \`card\`,
    m0.\`customer\` AS \`customer\`,
    m0.\`ts\` AS \`ts\`,
    m0.\`y\` AS \`y\`,
    h0.\`txn_count_5m\` AS \`txn_count_5m\`,
    h0.\`amount_p95_7d\` AS \`p95\`
  FROM (
    SELECT \`card_id\`, \`as_of\`, cityHash64(\`card_id\`) AS _fs_kh, toUInt8(1) AS _fs_matched, \`txn_count_5m\`, \`amount_p95_7d\`
    FROM \`db\`.\`features_card_fraud\` FINAL
    WHERE \`version\` = 'a94f94afeb45'
      AND \`card_id\` IN (SELECT \`card\` FROM \`db\`.\`labels\`)
      AND \`as_of\` <= (SELECT max(\`ts\`) FROM \`db\`.\`labels\`)
  ) AS h0
  RIGHT JOIN (
    SELECT c.*, if(f._fs_hit = 1, f.\`as_of\`, NULL) AS _fs_as_of
    FROM (SELECT *, cityHash64(\`card\`) AS _fs_kh FROM \`db\`.\`labels\`) AS c
    ASOF LEFT JOIN (
      SELECT cityHash64(\`card_id\`) AS _fs_kh, \`as_of\`, toUInt8(1) AS _fs_hit
      FROM \`db\`.\`features_card_fraud\`
      WHERE \`version\` = 'a94f94afeb45'
      AND \`card_id\` IN (SELECT \`card\` FROM \`db\`.\`labels\`)
      AND \`as_of\` <= (SELECT max(\`ts\`) FROM \`db\`.\`labels\`)
    ) AS f ON c._fs_kh = f._fs_kh AND c.\`ts\` >= f.\`as_of\`
  ) AS m0
  ON h0._fs_kh = m0._fs_kh AND h0.\`as_of\` = m0._fs_as_of
  WHERE throwIf(h0._fs_matched = 1 AND (h0.\`card_id\` != m0.\`card\`), '${KEY_HASH_COLLISION}') = 0
)
SETTINGS join_use_nulls = 0`);
  });

  it('exact key match: the keys themselves, no collision check', () => {
    const sql = pointInTimeSelect(labels, [oneView], { keyMatch: 'exact' });
    expect(sql).not.toContain('cityHash64');
    expect(sql).not.toContain('throwIf');
    expect(sql).toContain('FROM (SELECT *, `card` AS _fs_kh FROM `db`.`labels`) AS c');
    expect(sql).toContain('SELECT `card_id` AS _fs_kh, `as_of`, toUInt8(1) AS _fs_hit');
  });

  it('a custom key hash is used on both sides (tests force collisions with it)', () => {
    const sql = pointInTimeSelect(labels, [oneView], { keyHash: () => 'toUInt64(0)' });
    expect(sql.match(/toUInt64\(0\) AS _fs_kh/g)).toHaveLength(3);
    expect(sql).toContain('throwIf(');
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
    expect(
      sql.match(
        /WHERE `version` = 'v1'\n\s+AND `as_of` <= \(SELECT max\(`ts`\) FROM `db`\.`labels`\)/g,
      ),
    ).toHaveLength(2);
  });

  it('two views chain: composite keys, a non-default empty value, the first view carried through the second', () => {
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
    expect(sql.startsWith('SELECT `_row`, `card`, `customer`, `ts`, `y`, `x`, `plus_one`\n')).toBe(
      true,
    );
    expect(sql).toContain(
      'if(h1._fs_matched = 1, h1.`plus_one`, CAST(1 AS Nullable(Float64))) AS `plus_one`',
    );
    expect(sql).toContain('m1.`x` AS `x`');
    expect(sql).toContain('cityHash64(`customer_id`, `card_id`) AS _fs_kh');
    expect(sql).toContain('SELECT *, cityHash64(`customer`, `card`) AS _fs_kh FROM (');
    expect(sql).toContain(
      'AND (`customer_id`, `card_id`) IN (SELECT `customer`, `card` FROM `db`.`labels`)',
    );
    expect(sql).toContain(
      'h1._fs_matched = 1 AND (h1.`customer_id` != m1.`customer` OR h1.`card_id` != m1.`card`)',
    );
    expect(sql.match(/ASOF LEFT JOIN/g)).toHaveLength(2);
    expect(sql.match(/RIGHT JOIN/g)).toHaveLength(2);
    expect(sql).toContain("FROM `db`.`features_b` FINAL\n    WHERE `version` = 'v2'");
  });
});
