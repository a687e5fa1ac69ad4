// IMP, as iamport's browser SDK (https://cdn.iamport.kr/v1/iamport.js) offers it:
//   IMP.init("imp00000000");
//   IMP.request_pay({pg, pay_method, merchant_uid, name, amount, buyer_*, m_redirect_url, ...},
//                   function (response) { response.success ? ... : response.error_msg });
// The window opens over the page (`popup: true`: in a popup). Without a callback, or on a
// phone, a page that gives `m_redirect_url` leaves for the window and comes back to it with
// ?imp_uid=&merchant_uid=&imp_success= (and error_code, error_msg on failure).
var merchantCode = null;

function failure(params, refused) {
  return {
    success: false,
    error_code: refused.code,
    error_msg: refused.message,
    imp_uid: null,
    merchant_uid: params.merchant_uid === undefined ? null : params.merchant_uid
  };
}

function requestPay(params, callback) {
  params = params || {};
  var report = typeof callback === "function" ? callback : null;
  var leaves = Boolean(params.m_redirect_url) && (!report || FakeCheckout.isMobile());
  var kind = leaves ? "redirect" : params.popup === true ? "popup" : "iframe";

  function fail(refused) {
    var answer = failure(params, refused);
    if (leaves) {
      location.href = FakeCheckout.withQuery(params.m_redirect_url, {
        imp_uid: answer.imp_uid,
        merchant_uid: answer.merchant_uid,
        imp_success: false,
        error_code: answer.error_code,
        error_msg: answer.error_msg
      });
    } else if (report) {
      report(answer);
    }
  }

  if (!merchantCode) {
    fail({ code: "NOT_INITIALIZED", message: "IMP.init()으로 가맹점 식별코드를 먼저 설정해 주세요." });
    return;
  }
  var request = {
    code: merchantCode,
    params: params,
    channel: FakeCheckout.isMobile() ? "mobile" : "pc",
    user_agent: navigator.userAgent
  };
  FakeCheckout.open(request, kind).then(function (done) {
    if (report) report(done.result);
  }, fail);
}

window.IMP = {
  init: function (code) {
    merchantCode = code;
  },
  // A sub-merchant's initialisation: the tier code changes nothing at the fake.
  agency: function (code) {
    merchantCode = code;
  },
  request_pay: requestPay
};
