/**
 * A fake SMSC for driver tests: the `smpp` package's own server on 127.0.0.1, port 0. It accepts
 * bind_transceiver with the configured credentials, answers submit_sm with message ids (or a fault),
 * can push delivery receipts and mobile-originated messages, and can drop every connection. A given `port`
 * lets a test start it where an ESME is already trying to connect (an SMSC that comes up late).
 * Everything a test waits for is a promise — no sleeps.
 */
import smpp from "smpp";

/** `hold`: keep submit_sm unanswered until `releaseHeld()` (window and abort tests). */
export type SmscFault = "none" | "throttle" | "queue_full" | "invalid_dest" | "hold";

export interface SubmitRecord {
  sourceAddr: string;
  sourceTon: number;
  sourceNpi: number;
  destinationAddr: string;
  destTon: number;
  destNpi: number;
  esmClass: number;
  registeredDelivery: number;
  dataCoding: number;
  /** The concatenation information element from the UDH (IEI, length, ref, total, seq), if any. */
  concat?: Buffer;
  /** Decoded text (without the UDH). */
  text: string;
  messageId?: string;
}

export interface FakeSmsc {
  port: number;
  binds: Array<{ systemId: string; password: string; systemType: string; ok: boolean }>;
  submits: SubmitRecord[];
  fault: SmscFault;
  unbinds: number;
  /** Answers every held submit_sm successfully. */
  releaseHeld(): void;
  /** Resolves when the n-th successful bind (1-based, counted since start) has been answered. */
  waitForBind(n: number): Promise<void>;
  /** How many ESMEs are bound right now (an unbind or a closed socket takes one off). */
  links(): number;
  /** Resolves when exactly `n` ESMEs are bound (0: every link was unbound or closed). */
  waitForLinks(n: number): Promise<void>;
  /** Resolves when n submit_sm have arrived. */
  waitForSubmits(n: number): Promise<void>;
  /** Sends a deliver_sm delivery receipt; resolves with the ESME's deliver_sm_resp command_status. */
  sendReceipt(messageId: string, stat: string, opts?: { err?: string; tlv?: boolean }): Promise<number>;
  /** Sends a mobile-originated deliver_sm; resolves with the deliver_sm_resp command_status. */
  sendMo(from: string, to: string, text: string): Promise<number>;
  /** Sends any deliver_sm, fields as the `smpp` package takes them (e.g. one part of a long MO); resolves with the deliver_sm_resp command_status. */
  sendDeliverSm(params: Record<string, unknown>): Promise<number>;
  /** Destroys every open connection (the ESME should re-bind). */
  drop(): void;
  close(): Promise<void>;
}

const STATE: Record<string, number> = { DELIVRD: 2, EXPIRED: 3, DELETED: 4, UNDELIV: 5, ACCEPTD: 6, UNKNOWN: 7, REJECTD: 8 };

/** Starts a fake SMSC accepting `systemId`/`password`, on `port` (default: any free port). */
export async function startFakeSmsc(creds: { systemId: string; password: string }, port = 0): Promise<FakeSmsc> {
  const bound: any[] = [];
  const waiters: Array<() => void> = [];
  let nextId = 1000;
  const held: Array<() => void> = [];
  const wake = () => waiters.splice(0).forEach((w) => w());
  const until = (cond: () => boolean) =>
    new Promise<void>((resolve) => {
      const check = () => (cond() ? resolve() : waiters.push(check));
      check();
    });

  const onSubmit = (session: any, pdu: any) => {
    const sm = pdu.short_message ?? {};
    const rec: SubmitRecord = {
      sourceAddr: pdu.source_addr, sourceTon: pdu.source_addr_ton, sourceNpi: pdu.source_addr_npi,
      destinationAddr: pdu.destination_addr, destTon: pdu.dest_addr_ton, destNpi: pdu.dest_addr_npi,
      esmClass: pdu.esm_class, registeredDelivery: pdu.registered_delivery, dataCoding: pdu.data_coding,
      concat: (sm.udh as Buffer[] | undefined)?.find((ie) => ie[0] === 0x00), text: typeof sm.message === "string" ? sm.message : "",
    };
    fake.submits.push(rec);
    wake();
    const answer = () => {
      rec.messageId = String(nextId++);
      session.send(pdu.response({ message_id: rec.messageId }));
    };
    if (fake.fault === "hold") return void held.push(answer);
    const status = { throttle: smpp.ESME_RTHROTTLED, queue_full: smpp.ESME_RMSGQFUL, invalid_dest: smpp.ESME_RINVDSTADR, none: 0 }[fake.fault];
    if (status) return session.send(pdu.response({ command_status: status }));
    answer();
  };

  const server = smpp.createServer((session: any) => {
    session.on("error", () => {});
    session.on("bind_transceiver", (pdu: any) => {
      const ok = pdu.system_id === creds.systemId && pdu.password === creds.password;
      fake.binds.push({ systemId: pdu.system_id, password: pdu.password, systemType: pdu.system_type, ok });
      if (!ok) return session.send(pdu.response({ command_status: smpp.ESME_RINVPASWD }));
      session.send(pdu.response({ system_id: "fakesmsc" }), () => {
        bound.push(session);
        wake();
      });
    });
    session.on("submit_sm", (pdu: any) => onSubmit(session, pdu));
    session.on("enquire_link", (pdu: any) => session.send(pdu.response()));
    session.on("unbind", (pdu: any) => {
      fake.unbinds++;
      session.send(pdu.response(), () => session.close());
    });
    session.on("close", () => {
      if (bound.includes(session)) bound.splice(bound.indexOf(session), 1);
      wake();
    });
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));

  const deliver = (params: Record<string, unknown>) =>
    new Promise<number>((resolve, reject) => {
      const session = bound.at(-1);
      if (!session) return reject(new Error("fake SMSC: no bound ESME"));
      session.deliver_sm(params, (resp: any) => resolve(resp.command_status));
    });

  const fake: FakeSmsc = {
    port: (server.address() as { port: number }).port,
    binds: [],
    submits: [],
    fault: "none",
    unbinds: 0,
    releaseHeld: () => held.splice(0).forEach((answer) => answer()),
    waitForBind: (n) => until(() => fake.binds.filter((b) => b.ok).length >= n && bound.length > 0),
    links: () => bound.length,
    waitForLinks: (n) => until(() => bound.length === n),
    waitForSubmits: (n) => until(() => fake.submits.length >= n),
    sendReceipt(messageId, stat, opts = {}) {
      const text = `id:${messageId} sub:001 dlvrd:${stat === "DELIVRD" ? "001" : "000"} submit date:2601051500 done date:2601051501 stat:${stat} err:${opts.err ?? "000"} text:`;
      const tlv = opts.tlv ? { receipted_message_id: messageId, message_state: STATE[stat] } : {};
      return deliver({ source_addr: "15550001111", source_addr_ton: 1, destination_addr: "15550002222", dest_addr_ton: 1, esm_class: smpp.ESM_CLASS.MC_DELIVERY_RECEIPT, short_message: text, ...tlv });
    },
    sendMo: (from, to, text) =>
      deliver({ source_addr: from.replace(/^\+/, ""), source_addr_ton: from.startsWith("+") ? 1 : 0, source_addr_npi: 1, destination_addr: to.replace(/^\+/, ""), dest_addr_ton: to.startsWith("+") ? 1 : 0, dest_addr_npi: 1, esm_class: 0, short_message: text }),
    sendDeliverSm: (params) => deliver(params),
    drop: () => [...bound].forEach((s) => s.destroy()),
    close: async () => {
      fake.drop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return fake;
}
