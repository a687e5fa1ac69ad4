// Drives a fake iamport through the published SDK (iamport-server-api@10), unchanged.
//
// Usage: NODE_PATH=<folder holding iamport-server-api> node scenario.js <fake url>
// Prints one JSON object summarising what the SDK saw; the pytest side asserts on it.
"use strict";

const imp = require("iamport-server-api");
const { randomUUID } = require("crypto");

const host = process.argv[2];
const accessor = { imp_key: "test_imp_key", imp_secret: "test_imp_secret" };
const connector = new imp.IamportConnector(host, accessor);
const api = imp.functional;

const REFUND_ACCOUNT = {
  refund_holder: "홍길동",
  refund_bank: "신한은행",
  refund_account: "110-123-456789",
  refund_tel: "010-1234-5678",
};

async function failure(promise) {
  try {
    await promise;
  } catch (error) {
    if (error instanceof imp.HttpError)
      return { status: error.status, body: JSON.parse(error.message) };
    throw error;
  }
  throw new Error("the call was expected to fail");
}

function summary(payment) {
  return {
    pay_method: payment.pay_method,
    status: payment.status,
    amount: payment.amount,
    cancel_amount: payment.cancel_amount,
    paid: payment.paid_at !== 0,
    cancels: payment.cancel_history.map((entry) => entry.amount),
  };
}

async function main() {
  const out = {};

  // Token: issued already expired, so the connector asks for a new one before every call.
  const user = (await api.users.getToken({ host }, accessor)).response;
  out.token = {
    expired_in_the_past: user.expired_at < Date.now() / 1000,
    lifetime: Math.round((user.expired_at - user.now) * 1000),
    wrong_keys: await failure(
      api.users.getToken({ host }, { imp_key: "x", imp_secret: "y" }),
    ),
  };

  // Onetime card payment, read back, refunded partly then fully.
  const order = randomUUID();
  const card = await api.subscribe.payments.onetime(await connector.get(), {
    card_number: "1234-5678-9012-3456",
    expiry: "2028-12",
    birth: "880311",
    merchant_uid: order,
    amount: 25000,
    name: "Fake 주문",
  });
  out.card = {
    envelope: { code: card.code, message: card.message },
    created: summary(card.response),
    reloaded: summary(
      (await api.payments.at(await connector.get(), card.response.imp_uid, {})).response,
    ),
  };
  const partial = await api.payments.cancel(await connector.get(), {
    imp_uid: card.response.imp_uid,
    merchant_uid: order,
    amount: 5000,
    checksum: 25000,
    reason: "partial",
  });
  const full = await api.payments.cancel(await connector.get(), {
    imp_uid: card.response.imp_uid,
    merchant_uid: order,
    checksum: 20000,
    reason: "rest",
  });
  out.card.partial = summary(partial.response);
  out.card.full = summary(full.response);
  out.card.over = await failure(
    api.payments.cancel(await connector.get(), {
      imp_uid: card.response.imp_uid,
      merchant_uid: order,
      amount: 1,
      checksum: null,
      reason: "again",
    }),
  );
  out.card.imp_uid = card.response.imp_uid;

  // Virtual account: issue, edit, deposit, refund.
  const vbank = await api.vbanks.create(await connector.get(), {
    merchant_uid: randomUUID(),
    amount: 40000,
    vbank_code: "088",
    vbank_due: Date.now() / 1000 + 7 * 24 * 60 * 60,
    vbank_holder: "홍길동",
  });
  const edited = await api.vbanks.update(await connector.get(), {
    imp_uid: vbank.response.imp_uid,
    amount: 30000,
  });
  const deposited = await api.internal.deposit(await connector.get(), vbank.response.imp_uid);
  const paid = await api.payments.at(await connector.get(), vbank.response.imp_uid, {});
  const refunded = await api.payments.cancel(await connector.get(), {
    imp_uid: vbank.response.imp_uid,
    merchant_uid: vbank.response.merchant_uid,
    amount: 30000,
    checksum: 30000,
    reason: "refund",
    ...REFUND_ACCOUNT,
  });
  out.vbank = {
    created: summary(vbank.response),
    edited: summary(edited.response),
    deposit_result: deposited === undefined ? "undefined" : deposited,
    paid: summary(paid.response),
    refunded: summary(refunded.response),
    imp_uid: vbank.response.imp_uid,
  };

  // Saved card: register, read, charge again, delete.
  const customer_uid = randomUUID();
  const saved = await api.subscribe.customers.create(await connector.get(), customer_uid, {
    customer_uid,
    card_number: "1111-2222-3333-4444",
    expiry: "2028-12",
    birth: "880311",
  });
  const read = await api.subscribe.customers.at(await connector.get(), customer_uid);
  const again = await api.subscribe.payments.again(await connector.get(), {
    customer_uid,
    merchant_uid: randomUUID(),
    amount: 10000,
    name: "Fake 주문",
  });
  const erased = await api.subscribe.customers.erase(await connector.get(), customer_uid);
  out.subscription = {
    customer_uid: saved.response.customer_uid,
    same_when_read: JSON.stringify(read.response) === JSON.stringify(saved.response),
    again: summary(again.response),
    again_card_number: again.response.card_number,
    erased: erased.response.customer_uid,
    missing: await failure(api.subscribe.customers.at(await connector.get(), customer_uid)),
  };

  // Cash receipt: issue, read, cancel.
  const receipt = await api.receipts.create(await connector.get(), again.response.imp_uid, {
    imp_uid: again.response.imp_uid,
    identifier: "8803111******",
    identifier_type: "person",
  });
  const readReceipt = await api.receipts.at(await connector.get(), again.response.imp_uid);
  const cancelledReceipt = await api.receipts.erase(await connector.get(), again.response.imp_uid);
  out.receipt = {
    amount: receipt.response.amount,
    vat: receipt.response.vat,
    same_when_read: readReceipt.response.receipt_uid === receipt.response.receipt_uid,
    cancelled: cancelledReceipt.response.cancelled_at !== 0,
  };

  // Certification: request, read the OTP, confirm, delete.
  const accessorOfCertification = await api.certifications.otp.request(await connector.get(), {
    name: "홍길동",
    phone: "010-1111-2222",
    birth: "19880311",
    gender_digit: "1",
    carrier: "LGT",
  });
  const imp_uid = accessorOfCertification.response.imp_uid;
  const pending = await api.certifications.at(await connector.get(), imp_uid);
  const confirmed = await api.certifications.otp.confirm(await connector.get(), imp_uid, {
    otp: pending.response.__otp,
  });
  await api.certifications.erase(await connector.get(), imp_uid);
  out.certification = {
    pending: pending.response.certified,
    confirmed: confirmed.response.certified,
    phone: confirmed.response.phone,
    gone: (await failure(api.certifications.at(await connector.get(), imp_uid))).status,
  };

  // The default webhook sink answers the SDK with an empty body.
  const sink = await api.internal.webhook(
    { host },
    { imp_uid: "x", merchant_uid: "y", status: "paid" },
  );
  out.sink = sink === undefined ? "undefined" : sink;

  process.stdout.write(JSON.stringify(out));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
