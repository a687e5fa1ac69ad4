// PortOne, as PortOne's V2 browser SDK (https://cdn.portone.io/v2/browser-sdk.js) offers it:
//   const response = await PortOne.requestPayment({storeId, channelKey, paymentId, orderName,
//                                                   totalAmount, currency, payMethod, ...});
//   if (response.code !== undefined) { /* failed: response.message, pgCode, pgMessage */ }
// The promise resolves with {transactionType, txId, paymentId} (plus code, message, pgCode,
// pgMessage when the payment failed) and rejects with a PaymentError for a request the SDK
// refuses. The window is an iframe over the page unless `windowType` says POPUP or REDIRECTION
// (on a phone with `redirectUrl`: REDIRECTION); a redirect, or `forceRedirect` with
// `redirectUrl`, comes back to redirectUrl?paymentId=&transactionType=&txId= (and the error).
var WINDOW_KINDS = { IFRAME: "iframe", POPUP: "popup", REDIRECTION: "redirect" };

function paymentError(failure) {
  var error = new Error(failure.message);
  error.name = "PaymentError";
  error.__portOneErrorType = "PaymentError";
  error.transactionType = "PAYMENT";
  error.code = failure.code;
  return error;
}

function requestPayment(params) {
  params = params || {};
  var mobile = FakeCheckout.isMobile();
  var asked = (params.windowType || {})[mobile ? "mobile" : "pc"];
  var kind = WINDOW_KINDS[asked] || (mobile && params.redirectUrl ? "redirect" : "iframe");
  return FakeCheckout.open({ params: params }, kind).then(
    function (done) {
      if (params.redirectUrl && params.forceRedirect) {
        location.href = done.redirect;
        return new Promise(function () {});
      }
      return done.result;
    },
    function (refused) {
      throw paymentError(refused);
    }
  );
}

function unsupported(name) {
  return function () {
    return Promise.reject(
      paymentError({ code: "NOT_SUPPORTED", message: name + " is not offered by the fake PortOne." })
    );
  };
}

window.PortOne = {
  requestPayment: requestPayment,
  requestIssueBillingKey: unsupported("requestIssueBillingKey"),
  requestIssueBillingKeyAndPay: unsupported("requestIssueBillingKeyAndPay"),
  requestIdentityVerification: unsupported("requestIdentityVerification"),
  isPortOneError: function (error) {
    return Boolean(error && error.__portOneErrorType);
  }
};
