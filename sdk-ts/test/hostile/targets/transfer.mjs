// Hostile-input targets: System 7, the resolver chain, identifier checks and format adapters
// (TransferResolver and the transfer* functions).
import * as s from '@countersign/sdk';

const rules = () => ({
  providers: [
    { id: 'bank-a', endpoint: 'http://127.0.0.1:9000/a', format: 'pain.001.001.09' },
    { id: 'mm', endpoint: 'http://127.0.0.1:9000/mm', format: 'fspiop-quote' },
  ],
  rules: [
    { id: 'de', kind: 'iban', provider: 'bank-a', country: 'DE' },
    { id: 'visa', kind: 'card', provider: 'bank-a', binFrom: '4', binTo: '4', network: 'visa' },
    { id: 'ilp', kind: 'ilp', provider: 'mm', prefix: 'g.mm' },
  ],
});
const instruction = () => ({
  messageId: 'MSG-1',
  endToEndId: 'E2E-1',
  createdAt: '2026-12-06T10:00:00Z',
  executionDate: '2026-12-07',
  amount: '10.50',
  currency: 'EUR',
  initiator: 'Zoë',
  debtor: { name: 'Alice', account: 'DE89370400440532013000', bic: 'COBADEFFXXX', provider: 'bank-a' },
  creditor: { name: 'Bob', account: 'FR1420041010050500013M02606' },
  remittance: 'Invoice 42',
});
const message = s.transferGenerate('pain.001.001.09', instruction());

// The directory answers at once; its state is the cache size.
const resolver = () => s.TransferResolver.create(rules(), { directory: (l) => (l.alias === '+442079460958' ? 'mm' : null) });
const onResolver = { receiver: resolver, state: (r) => String(r.cacheSize) };

export const targets = {
  'new TransferResolver': { args: () => [] }, // private: always refused
  'TransferResolver.create': { args: () => [rules(), { timeoutMs: 100, cacheTtlMs: 1000, cacheEntriesMax: 4 }] },
  'TransferResolver#resolve': { ...onResolver, args: () => ['DE89 3704 0044 0532 0130 00'] },
  'TransferResolver#resolveAlias': { ...onResolver, args: () => ['+442079460958', { alias: '+442079460958', provider: 'mm' }] },
  'TransferResolver#resolveWithDirectory': { ...onResolver, args: () => ['+44 20 7946 0958'] },
  'TransferResolver#clearCache': { ...onResolver, args: () => [] },
  'TransferResolver#cacheSize': { ...onResolver, args: () => [] },
  'TransferResolver#free': { ...onResolver, args: () => [], consumes: true },
  'TransferResolver#[Symbol.dispose]': { ...onResolver, args: () => [], consumes: true },
  transferGenerate: { args: () => ['pacs.008.001.08', instruction()] },
  transferParse: { args: () => ['pain.001.001.09', message.text] },
  transferCheckInstruction: { args: () => [instruction()] },
  transferWithLosses: { args: () => [instruction(), message.losses.map((l) => ({ ...l, kinds: [...l.kinds] }))] },
  transferCheckIban: { args: () => ['FR1420041010050500013M02606'] },
  transferCheckBic: { args: () => ['COBADEFFXXX'] },
  transferCheckAba: { args: () => ['021000021'] },
  transferLuhn: { args: () => ['4111111111111111'] },
  transferResolveCodes: { args: () => [] },
};
