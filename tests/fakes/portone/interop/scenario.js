// The npm SDK `@portone/server-sdk`, unchanged, against the fake PortOne V2.
// Usage: node scenario.js <input.json>; prints one JSON object of observations on stdout.
// The input names the fake, its credentials, prepared payments and signed webhooks to verify.
const fs = require("fs");
const { PortOneClient, Webhook } = require("@portone/server-sdk");

async function failure(promise) {
  try {
    await promise;
    return { name: null };
  } catch (error) {
    return { name: error.name, type: error.data?.type };
  }
}

async function main() {
  const input = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
  const client = PortOneClient({
    secret: input.secret,
    baseUrl: input.baseUrl,
    storeId: input.storeId,
  });
  const out = {};
  const paid = await client.payment.getPayment({ paymentId: input.paid });
  out.paid = { status: paid.status, total: paid.amount.total, method: paid.method.type };
  out.notFound = await failure(client.payment.getPayment({ paymentId: "no-such-payment" }));
  const wrong = PortOneClient({ secret: "wrong", baseUrl: input.baseUrl });
  out.unauthorized = await failure(wrong.payment.getPayment({ paymentId: input.paid }));

  const part = await client.payment.cancelPayment({
    paymentId: input.paid,
    amount: 4000,
    reason: "part",
  });
  out.partCancel = { status: part.cancellation.status, total: part.cancellation.totalAmount };
  out.tooMuch = await failure(
    client.payment.cancelPayment({ paymentId: input.paid, amount: 999999, reason: "x" }),
  );
  out.afterPart = (await client.payment.getPayment({ paymentId: input.paid })).status;

  const list = await client.payment.getPayments({
    page: { number: 0, size: 10 },
    filter: { status: ["PARTIAL_CANCELLED"], sortOrder: "ASC" },
  });
  out.listed = { ids: list.items.map((p) => p.id), totalCount: list.page.totalCount };

  const issued = await client.payment.billingKey.issueBillingKey({
    method: { card: { credential: { number: "1111222233334444", expiryYear: "28", expiryMonth: "12" } } },
    customer: { id: "npm-customer" },
  });
  const key = issued.billingKeyInfo.billingKey;
  const info = await client.payment.billingKey.getBillingKeyInfo({ billingKey: key });
  out.billingKey = { status: info.status, customer: info.customer.id };
  const charged = await client.payment.payWithBillingKey({
    paymentId: input.billingPayment,
    billingKey: key,
    orderName: "monthly",
    amount: { total: 9900 },
    currency: "KRW",
  });
  out.charged = Boolean(charged.payment.pgTxId && charged.payment.paidAt);
  out.alreadyPaid = await failure(
    client.payment.payWithBillingKey({
      paymentId: input.billingPayment,
      billingKey: key,
      orderName: "again",
      amount: { total: 9900 },
      currency: "KRW",
    }),
  );

  out.verified = [];
  for (const { body, headers } of input.webhooks) {
    const webhook = await Webhook.verify(input.webhookSecret, body, headers);
    out.verified.push(webhook.type);
  }
  const first = input.webhooks[0];
  out.tampered = await failure(
    Webhook.verify(input.webhookSecret, first.body.replace(input.paid, "forged"), first.headers),
  );
  console.log(JSON.stringify(out));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
