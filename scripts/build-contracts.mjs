#!/usr/bin/env node
// Compiles Concord's L1 contracts with solc-js (npm `solc`, pinned in package-lock.json) and
// writes one JSON artifact per deployable contract: { contractName, sourceName, compiler, abi,
// bytecode, deployedBytecode }. The output depends only on the sources and the settings below
// (no metadata hash is appended to the bytecode), so it is reproducible byte for byte.
//
//   node scripts/build-contracts.mjs                     # contracts/src -> contracts/out
//   node scripts/build-contracts.mjs --out DIR           # contracts/src -> DIR
//   node scripts/build-contracts.mjs --check             # exit 1 if contracts/out is stale
//   node scripts/build-contracts.mjs --verifier FILE --out DIR
//                                                        # a generated ConcordVerifier -> DIR
//
// The verifier is generated from a verifying key (`concord-prover export-verifier`), so it is
// compiled when a key exists rather than committed.
import { mkdirSync, readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { basename, dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import solc from 'solc';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const CONTRACTS = join(ROOT, 'contracts');
const DEFAULT_OUT = join(CONTRACTS, 'out');
const SOLC_VERSION = '0.8.30';
/** The contracts that get an artifact; libraries and interfaces are compiled into them. */
const ARTIFACTS = ['ConcordRollup', 'TestToken', 'NoBoolToken', 'ReentrantReceiver'];
const SETTINGS = {
  optimizer: { enabled: true, runs: 200 },
  // Cancun: transient storage (the reentrancy lock) and MCOPY, available on every current L1.
  evmVersion: 'cancun',
  metadata: { appendCBOR: false },
  outputSelection: {
    '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] },
  },
};

function fail(message) {
  process.stderr.write(`build-contracts: ${message}\n`);
  process.exit(1);
}

function parseArgs(argv) {
  const args = { out: null, check: false, verifier: null };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--check') args.check = true;
    else if (arg === '--out' && i + 1 < argv.length) args.out = argv[++i];
    else if (arg === '--verifier' && i + 1 < argv.length) args.verifier = argv[++i];
    else fail(`unknown argument ${arg}; usage: [--out DIR] [--check] [--verifier FILE --out DIR]`);
  }
  if (args.check && (args.out || args.verifier)) fail('--check takes no other option');
  if (args.verifier && !args.out) fail('--verifier needs --out DIR');
  return args;
}

/** Every .sol file under `dir`, keyed by its path relative to contracts/ with / separators. */
function solidityFiles(dir) {
  const files = {};
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) Object.assign(files, solidityFiles(path));
    else if (entry.name.endsWith('.sol')) {
      files[relative(CONTRACTS, path).split(sep).join('/')] = readFileSync(path, 'utf8');
    }
  }
  return files;
}

/**
 * Compiles `sources` ({ name: content }) and returns the artifacts of `wanted` contracts, as
 * { fileName: jsonText }. Errors always fail; warnings fail when `strict`.
 */
function compile(sources, wanted, strict) {
  if (!solc.version().startsWith(`${SOLC_VERSION}+`)) {
    fail(`solc ${SOLC_VERSION} expected, npm installed ${solc.version()} (run scripts/setup.sh)`);
  }
  const input = {
    language: 'Solidity',
    sources: Object.fromEntries(
      Object.keys(sources).sort().map((name) => [name, { content: sources[name] }]),
    ),
    settings: SETTINGS,
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input)));
  const diagnostics = output.errors ?? [];
  const fatal = diagnostics.filter((d) => d.severity === 'error' || (strict && d.severity === 'warning'));
  for (const d of diagnostics) process.stderr.write(`${d.formattedMessage}\n`);
  if (fatal.length > 0) fail(`solc reported ${fatal.length} error(s) or warning(s)`);

  const artifacts = {};
  for (const [sourceName, contracts] of Object.entries(output.contracts ?? {})) {
    for (const [contractName, { abi, evm }] of Object.entries(contracts)) {
      if (!wanted.includes(contractName)) continue;
      if (artifacts[`${contractName}.json`]) fail(`two contracts are named ${contractName}`);
      const artifact = {
        contractName,
        sourceName,
        compiler: solc.version(),
        abi,
        bytecode: `0x${evm.bytecode.object}`,
        deployedBytecode: `0x${evm.deployedBytecode.object}`,
      };
      artifacts[`${contractName}.json`] = `${JSON.stringify(artifact, null, 2)}\n`;
    }
  }
  for (const name of wanted) {
    if (!artifacts[`${name}.json`]) fail(`no contract ${name} in the sources`);
  }
  return artifacts;
}

function write(dir, artifacts) {
  mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries(artifacts)) writeFileSync(join(dir, file), text);
}

const args = parseArgs(process.argv.slice(2));
if (args.verifier) {
  const source = readFileSync(args.verifier, 'utf8');
  write(args.out, compile({ [basename(args.verifier)]: source }, ['ConcordVerifier'], false));
} else {
  const artifacts = compile(solidityFiles(join(CONTRACTS, 'src')), ARTIFACTS, true);
  if (args.check) {
    const stale = [];
    for (const [file, text] of Object.entries(artifacts)) {
      const path = join(DEFAULT_OUT, file);
      if (!existsSync(path) || readFileSync(path, 'utf8') !== text) stale.push(file);
    }
    const extra = existsSync(DEFAULT_OUT)
      ? readdirSync(DEFAULT_OUT).filter((f) => f.endsWith('.json') && !artifacts[f])
      : [];
    if (stale.length > 0 || extra.length > 0) {
      fail(`contracts/out does not match contracts/src (stale: ${stale.join(', ') || 'none'}; `
        + `extra: ${extra.join(', ') || 'none'}); run node scripts/build-contracts.mjs`);
    }
    process.stdout.write(`contracts/out matches contracts/src (${Object.keys(artifacts).length} artifacts)\n`);
  } else {
    const out = args.out ?? DEFAULT_OUT;
    write(out, artifacts);
    process.stdout.write(`wrote ${Object.keys(artifacts).sort().join(', ')} to ${relative(process.cwd(), out) || '.'}\n`);
  }
}
