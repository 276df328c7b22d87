// The Concord L2 client: an account's L2 key, its signed ops and their submission to the
// appchain. See clients/js/README.md.
export { L2_KEY_MESSAGE, L2Key, deriveL2Key, l2KeyFromEthSignature } from './l2-key.mjs';
export { authorizeChangePubKey, changePubKeyEthMessage, signOp, signedMessage } from './ops.mjs';
export { buildL2Extrinsic, submitL2Op } from './extrinsic.mjs';
