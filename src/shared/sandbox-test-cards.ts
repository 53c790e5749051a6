/**
 * The sandbox's published test card numbers (src/acquirer/README.md). Every developer and player types the same
 * ones, so in sandbox mode they are not treated as one physical card shared by many players.
 */
export const SANDBOX_TEST_CARD_NUMBERS: ReadonlySet<string> = new Set([
  '4242424242424242',
  '5555555555554444',
  '378282246310005',
  '4000000000000002',
  '4000000000009995',
  '4000000000000069',
  '4000000000000127',
  '4000002760003184',
  '4100000000000019',
  '4000000000000259',
  '4000000000000119',
  '4000000000000341',
  '4000000000009235',
]);
