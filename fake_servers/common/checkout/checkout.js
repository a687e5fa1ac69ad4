// What every stand-in script shares: asking the fake (FAKE_ORIGIN) to open a checkout window,
// showing it as an iframe over the page, a popup or instead of the page, and waiting for the
// customer's answer. Plain ES5 plus fetch and Promise, so that it runs as served.
var FakeCheckout = (function () {
  var POPUP_FEATURES = "width=460,height=680";
  // How long a closed popup may still deliver its answer before it counts as cancelled.
  var CLOSED_GRACE_MS = 600;

  function isMobile() {
    return /Mobi|Android|iPhone|iPad/i.test(navigator.userAgent);
  }

  // POST JSON to the fake; resolves with the answer, rejects with {code, message} (a refusal).
  function post(path, body) {
    return fetch(FAKE_ORIGIN + path, {
      method: "POST",
      // text/plain: a cross-origin request a browser sends without a preflight.
      headers: { "Content-Type": "text/plain;charset=UTF-8" },
      body: JSON.stringify(body === undefined ? {} : body)
    }).then(
      function (response) {
        return response.json().then(function (answer) {
          if (!response.ok || answer.refused) throw answer.refused || answer;
          return answer;
        });
      },
      function () {
        throw { code: "NETWORK_ERROR", message: "The fake gateway at " + FAKE_ORIGIN + " did not answer." };
      }
    );
  }

  // `url` with `params` added to its query string (undefined and null left out).
  function withQuery(url, params) {
    var target = new URL(url, location.href);
    Object.keys(params).forEach(function (key) {
      var value = params[key];
      if (value !== undefined && value !== null) target.searchParams.set(key, String(value));
    });
    return target.toString();
  }

  function overlay(url) {
    var shade = document.createElement("div");
    shade.setAttribute("data-fake-checkout-overlay", "");
    shade.style.cssText =
      "position:fixed;inset:0;z-index:2147483647;display:flex;align-items:center;" +
      "justify-content:center;background:rgba(0,0,0,.45)";
    var frame = document.createElement("iframe");
    frame.src = url;
    frame.title = "Payment window";
    frame.style.cssText =
      "border:0;border-radius:12px;background:#fff;width:min(420px,100vw);" +
      "height:min(480px,100vh);box-shadow:0 8px 30px rgba(0,0,0,.35)";
    shade.appendChild(frame);
    document.body.appendChild(shade);
    return shade;
  }

  // Open a window for `request` (the gateway's own JSON) shown as `kind` ("iframe", "popup" or
  // "redirect"). Resolves with {result, redirect}; rejects with {code, message} when the fake
  // refuses the request. A redirect never settles: the page is leaving.
  function open(request, kind) {
    var popup = null;
    if (kind === "popup") {
      // Opened now, while the click that led here still allows popups; filled in below.
      popup = window.open("", "fake-checkout", POPUP_FEATURES);
      if (!popup) kind = "iframe";
    }
    return post("/checkout/windows", { request: request, window: kind, origin: location.origin }).then(
      function (opened) {
        if (kind === "redirect") {
          location.href = opened.url;
          return new Promise(function () {});
        }
        return new Promise(function (resolve, reject) {
          var shade = null;
          var watch = null;
          var settled = false;

          function settle(message) {
            if (settled) return;
            settled = true;
            window.removeEventListener("message", listen);
            if (watch) clearInterval(watch);
            if (shade) shade.remove();
            if (message.refused) reject(message.refused);
            else resolve({ result: message.result, redirect: message.redirect });
          }

          function listen(event) {
            var data = event.data;
            if (event.origin !== FAKE_ORIGIN || !data || data.fakeCheckout !== opened.id) return;
            settle(data);
          }

          window.addEventListener("message", listen);
          if (popup) {
            popup.location.href = opened.url;
            // A popup closed without an answer is a cancelled payment, as at the gateway.
            watch = setInterval(function () {
              if (!popup.closed) return;
              clearInterval(watch);
              watch = null;
              setTimeout(function () {
                if (settled) return;
                post("/checkout/windows/" + opened.id + "/cancel").then(settle, function (refused) {
                  settle({ refused: refused });
                });
              }, CLOSED_GRACE_MS);
            }, 200);
          } else {
            shade = overlay(opened.url);
          }
        });
      },
      function (refused) {
        if (popup) popup.close();
        throw refused;
      }
    );
  }

  return { open: open, isMobile: isMobile, withQuery: withQuery };
})();
