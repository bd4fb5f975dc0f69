/**
 * @countersign/sdk — Node entry. Instantiates the WebAssembly module synchronously on import
 * (no top-level await, so `require`-style loaders and ESM both work); `init()` is then a no-op.
 */
import { readFileSync } from 'node:fs';
import { initSync } from '../wasm/countersign_wasm.js';
import { markReady } from './loader.js';

// Compiled once and kept: after a trap, `init()` instantiates it again (see loader.ts).
const compiled = new WebAssembly.Module(readFileSync(new URL('../wasm/countersign_wasm_bg.wasm', import.meta.url)));
initSync({ module: compiled });
markReady(compiled);

export * from './api.js';
export {
  FileStorage,
  type FileStorageOptions,
  FILE_LOCK_WAIT_MS_DEFAULT,
  FILE_LOCK_STALE_MS_DEFAULT,
  FILE_STORAGE_KEYS_MAX,
} from './storage/file.js';
export {
  PostgresStorage,
  type PostgresPool,
  type PostgresPoolClient,
  type PostgresStorageOptions,
  POSTGRES_SCHEMA_VERSION,
  POSTGRES_TABLE_PREFIX_DEFAULT,
  POSTGRES_TABLE_PREFIX_PATTERN,
} from './storage/postgres.js';
export {
  AlarmDeliveryServer,
  type AlarmDeliveryServerOptions,
  ALARM_TICK_INTERVAL_MS_DEFAULT,
  ALARM_WS_CONNECTIONS_MAX,
  ALARM_WS_HELLO_TIMEOUT_MS,
  ALARM_WS_MESSAGE_BYTES_MAX,
} from './dose-server.js';
export { TokenHttpServer, type TokenHttpServerOptions } from './relay-server.js';
export { CustodyHttpServer, type CustodyServerOptions, CUSTODY_SERVER_BODY_BYTES_MAX } from './custody-server.js';
export {
  TransferRouter,
  type TransferRouterOptions,
  type TransferOrder,
  type TransferRouterProvider,
  type TransferRouterRejection,
  type TransferRouterRejectionCode,
  type TransferRoute,
  TRANSFER_ENVELOPE_TYPES,
  TRANSFER_ENVELOPE_CONTENT_TYPE,
  TRANSFER_ENVELOPE_HEADER,
  TRANSFER_CONTENT_TYPES,
  TRANSFER_ROUTER_REQUIRED_FIELDS,
  TRANSFER_ROUTER_REJECTIONS_MAX,
  TRANSFER_ROUTER_PROVIDER_KEYS_MAX,
  TRANSFER_ROUTER_ENVELOPE_TTL_S,
  TRANSFER_ROUTER_CLOCK_SKEW_S,
  TRANSFER_ROUTER_ATTEMPTS_MAX,
  TRANSFER_ROUTER_PAUSE_MS_MAX,
  TRANSFER_ROUTER_SENDS_MAX,
  TRANSFER_ROUTER_BODY_BYTES_MAX,
  TRANSFER_ROUTER_PROVIDERS_MAX,
} from './transfer-router.js';
export {
  PosAcquirer,
  type PosAcquirerBehaviour,
  type PosAcquirerRecord,
  type PosAcquirerTotals,
  POS_ACQUIRER_BODY_BYTES_MAX,
  POS_ACQUIRER_TOTALS_KEYS_MAX,
} from './pos-acquirer.js';
export { loadTimeZoneSync, loadTimeZoneIndexSync } from './tz.js';
