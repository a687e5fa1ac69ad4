// TossPayments, as Toss Payments' browser SDK v1 (https://js.tosspayments.com/v1/payment)
// offers it:
//   var tossPayments = TossPayments("test_ck_...");
//   tossPayments.requestPayment("카드", {amount, orderId, orderName, successUrl, failUrl});
// With successUrl and failUrl the page goes to one of them when the window is done
// (successUrl?paymentType=NORMAL&orderId=&paymentKey=&amount=, failUrl?code=&message=&orderId=);
// without them the promise resolves with {paymentType, paymentKey, orderId, amount} or rejects
// with an error carrying `code` and `message`. The window opens over the page
// (`windowTarget: "self"`, or on a phone: instead of it).
function tossError(failure) {
  var error = new Error(failure.message);
  error.code = failure.code;
  return error;
}

function TossPayments(clientKey) {
  function requestPayment(method, params) {
    // Also requestPayment({method, ...}), as the SDK accepts it.
    if (method !== null && typeof method === "object") {
      params = method;
      method = params.method;
    }
    params = params || {};
    var returns = params.successUrl !== undefined || params.failUrl !== undefined;
    var target = params.windowTarget || (FakeCheckout.isMobile() ? "self" : "iframe");
    var request = { clientKey: clientKey, method: method === undefined ? null : method, params: params };
    return FakeCheckout.open(request, target === "self" ? "redirect" : "iframe").then(
      function (done) {
        if (returns) {
          location.href = done.redirect;
          return new Promise(function () {});
        }
        if (done.result.code) throw tossError(done.result);
        return done.result;
      },
      function (refused) {
        throw tossError(refused);
      }
    );
  }

  function unsupported(name) {
    return function () {
      return Promise.reject(
        tossError({ code: "NOT_SUPPORTED", message: name + " is not offered by the fake Toss Payments." })
      );
    };
  }

  return {
    requestPayment: requestPayment,
    requestBillingAuth: unsupported("requestBillingAuth"),
    cancelPayment: unsupported("cancelPayment")
  };
}

TossPayments.version = "fake";
window.TossPayments = TossPayments;
