// pnpm --filter @northstar/db credentials:keygen [key-id]: a new key pair for integration
// credentials. The public line goes to the web host, the private line to the worker only (first in
// its list; keep the old private key after it until the re-seal job has moved every row).
import { generateKeyPair } from "../src/credentials.ts";

const id = process.argv[2] ?? new Date().toISOString().slice(0, 10);
try {
  const pair = generateKeyPair(id);
  console.log(`NORTHSTAR_CREDENTIALS_PUBLIC_KEY=${pair.publicKey}`);
  console.log(`NORTHSTAR_CREDENTIALS_PRIVATE_KEYS=${pair.privateKey}`);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
