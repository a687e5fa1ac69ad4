// Drives a running fake Toss server through the published SDK `toss-payments-server-api@10`,
// unchanged, and prints what it saw as one JSON object for the pytest side to check.
// Usage: node scenario.js <base-url> <secret-key>   (the SDK is found through NODE_PATH)
"use strict";

const toss = require("toss-payments-server-api");

const [host, secret] = process.argv.slice(2);
const api = toss.functional;
const connection = {
  host,
  headers: { Authorization: `Basic ${Buffer.from(`${secret}:`).toString("base64")}` },
};

// The SDK raises HttpError for any status but 200/201; keep what a client could inspect.
async function failure(call) {
  try {
    await call();
  } catch (error) {
    if (!(error instanceof toss.HttpError)) throw error;
    return { status: error.status, body: error.toJSON().message };
  }
  throw new Error("the call was expected to fail");
}

async function main() {
  const out = {};
  const orderId = `interop-${Date.now()}`;

  // Card: key-in held for approval, approve, read back, partial then full cancel.
  const card = await api.v1.payments.key_in(connection, {
    method: "card",
    cardNumber: "1111222233334444",
    cardExpirationYear: "28",
    cardExpirationMonth: "12",
    orderId,
    amount: 30000,
    __approved: false,
  });
  out.keyIn = { status: card.status, approvedAt: card.approvedAt };
  out.wrongPrice = await failure(() =>
    api.v1.payments.approve(connection, card.paymentKey, { orderId, amount: 1 }),
  );
  const approved = await api.v1.payments.approve(connection, card.paymentKey, {
    orderId,
    amount: 30000,
  });
  out.approved = { status: approved.status, hasApprovedAt: approved.approvedAt !== null };
  const read = await api.v1.payments.at(connection, card.paymentKey);
  out.readBack = { same: JSON.stringify(read) === JSON.stringify(approved) };
  const partial = await api.v1.payments.cancel(connection, card.paymentKey, {
    paymentKey: card.paymentKey,
    cancelReason: "partial",
    cancelAmount: 10000,
  });
  out.partialCancel = {
    status: partial.status,
    balanceAmount: partial.balanceAmount,
    cancels: partial.cancels.length,
  };
  const full = await api.v1.payments.cancel(connection, card.paymentKey, {
    paymentKey: card.paymentKey,
    cancelReason: "rest",
  });
  out.fullCancel = {
    status: full.status,
    balanceAmount: full.balanceAmount,
    cancelAmounts: full.cancels.map((c) => c.cancelAmount),
  };
  out.unknown = await failure(() => api.v1.payments.at(connection, "no-such-payment"));

  // Virtual account: issue, deposit (test-only route), cash receipt and its cancel.
  const account = await api.v1.virtual_accounts.create(connection, {
    method: "virtual-account",
    orderId: `${orderId}-va`,
    orderName: "interop order",
    bank: "신한",
    customerName: "홍길동",
    amount: 25000,
  });
  out.virtualAccount = {
    status: account.status,
    settlementStatus: account.virtualAccount.settlementStatus,
  };
  const deposited = await api.internal.deposit(connection, account.paymentKey);
  out.deposit = {
    status: deposited.status,
    settlementStatus: deposited.virtualAccount.settlementStatus,
  };
  const receipt = await api.v1.cash_receipts.create(connection, {
    type: "소득공제",
    paymentKey: account.paymentKey,
    orderId: account.orderId,
    orderName: account.orderName,
    registrationNumber: "8803111******",
    amount: 25000,
  });
  const withReceipt = await api.v1.payments.at(connection, account.paymentKey);
  const receiptCancel = await api.v1.cash_receipts.cancel(connection, receipt.receiptKey, {});
  const withoutReceipt = await api.v1.payments.at(connection, account.paymentKey);
  out.cashReceipt = {
    type: receipt.type,
    issueNumberMatches: withReceipt.cashReceipt.issueNumber === receipt.approvalNumber,
    canceled: receiptCancel.canceledAt !== null,
    clearedOnPayment: withoutReceipt.cashReceipt === null,
  };

  // Billing: register a card, look it up, charge it.
  const billing = await api.v1.billing.authorizations.card.create(connection, {
    customerKey: "interop-customer",
    cardNumber: "4444333322221111",
    cardExpirationYear: "28",
    cardExpirationMonth: "03",
    cardPassword: "99",
    customerBirthday: "880311",
  });
  const found = await api.v1.billing.authorizations.at(connection, billing.billingKey, {
    customerKey: "interop-customer",
  });
  out.billingLookup = { same: JSON.stringify(found) === JSON.stringify(billing) };
  out.billingOtherCustomer = await failure(() =>
    api.v1.billing.authorizations.at(connection, billing.billingKey, { customerKey: "other" }),
  );
  const charged = await api.v1.billing.pay(connection, billing.billingKey, {
    method: "billing",
    billingKey: billing.billingKey,
    customerKey: "interop-customer",
    orderId: `${orderId}-billing`,
    amount: 9900,
  });
  out.billingPay = {
    status: charged.status,
    totalAmount: charged.totalAmount,
    cardNumber: charged.card.number,
  };

  // The built-in receiver answers 201 with an empty body, which the SDK reads as undefined.
  const webhook = await api.internal.webhook(connection, {
    eventType: "PAYMENT_STATUS_CHANGED",
    data: { paymentKey: account.paymentKey, orderId: account.orderId, status: "DONE" },
  });
  out.webhookReceiver = { undefinedResult: webhook === undefined };

  out.badCredentials = await failure(() =>
    api.v1.payments.at({ host, headers: { Authorization: "Basic bm9wZTo=" } }, card.paymentKey),
  );

  process.stdout.write(JSON.stringify(out));
}

main().catch((error) => {
  process.stderr.write(`${error && error.stack ? error.stack : error}\n`);
  process.exit(1);
});
