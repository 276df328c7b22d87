// The Concord L2 client: an account's L2 key, its signed ops, the floats their amounts and fees
// must be, their submission to the appchain and the node's concord_* queries. See
// clients/js/README.md.
export { L2Key, deriveL2Key, l2KeyFromEthSignature, l2KeyMessage } from './l2-key.mjs';
export {
  authorizeChangePubKey, changePubKeyEthMessage, networkId, signOp, signedMessage,
} from './ops.mjs';
export {
  isPackableAmount, isPackableFee, packAmount, packFee, roundDownAmount, roundDownFee, unpackAmount,
  unpackFee,
} from './float.mjs';
export { buildL2Extrinsic, submitGeneralExtrinsic, submitL2Op } from './extrinsic.mjs';
export { concordRpc } from './rpc.mjs';
