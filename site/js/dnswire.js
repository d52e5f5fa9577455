// Reads a DNS message's bytes (RFC 1035 §4.1) into labelled fields, so the
// hex view can mark each one: header, question, resource records.

const TYPES = { 1: "A", 2: "NS", 5: "CNAME", 6: "SOA", 12: "PTR", 15: "MX", 16: "TXT", 28: "AAAA", 41: "OPT", 251: "IXFR", 252: "AXFR", 255: "ANY" };
const OPCODES = { 0: "QUERY", 4: "NOTIFY", 5: "UPDATE" };
const RCODES = { 0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED", 6: "YXDOMAIN", 7: "YXRRSET", 8: "NXRRSET", 9: "NOTAUTH", 10: "NOTZONE" };

export function hexToBytes(hex) {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(i * 2, 2), 16);
  return out;
}

/** parseWire returns fields {start, end, cls, label} covering the message. */
export function parseWire(bytes, sectionNames) {
  const f = [];
  const u16 = (o) => (bytes[o] << 8) | bytes[o + 1];
  const u32 = (o) => ((bytes[o] << 24) >>> 0) + (bytes[o + 1] << 16) + (bytes[o + 2] << 8) + bytes[o + 3];
  const add = (start, len, cls, label) => f.push({ start, end: start + len, cls, label });
  if (bytes.length < 12) return f;
  const flags = u16(2);
  const opcode = (flags >> 11) & 15;
  // An UPDATE's sections are the zone, prerequisites and updates (RFC 2136 §2).
  const update = opcode === 5;
  const names = update ? ["zone", "prerequisite", "update", "additional"] : sectionNames || ["question", "answer", "authority", "additional"];
  add(0, 2, "h-id", `ID ${u16(0)}`);
  const bits = [flags & 0x8000 ? "QR" : "", flags & 0x0400 ? "AA" : "", flags & 0x0200 ? "TC" : "", flags & 0x0100 ? "RD" : "", flags & 0x0080 ? "RA" : ""].filter(Boolean);
  add(2, 2, "h-flags", `flags: ${flags & 0x8000 ? "response" : "query"}, opcode ${OPCODES[opcode] ?? opcode}, ${bits.join(" ") || "no bits"}, rcode ${RCODES[flags & 15] ?? flags & 15}`);
  const counts = [u16(4), u16(6), u16(8), u16(10)];
  (update ? ["ZOCOUNT", "PRCOUNT", "UPCOUNT", "ADCOUNT"] : ["QDCOUNT", "ANCOUNT", "NSCOUNT", "ARCOUNT"]).forEach((n, i) => add(4 + i * 2, 2, "h-count", `${n} ${counts[i]}`));
  let o = 12;
  const readName = (start) => {
    let p = start, labels = [], end = -1, jumps = 0;
    while (p < bytes.length && jumps < 20) {
      const len = bytes[p];
      if (len === 0) { if (end < 0) end = p + 1; break; }
      if ((len & 0xc0) === 0xc0) { if (end < 0) end = p + 2; p = ((len & 0x3f) << 8) | bytes[p + 1]; jumps++; continue; }
      labels.push(String.fromCharCode(...bytes.slice(p + 1, p + 1 + len)));
      p += 1 + len;
    }
    return { name: labels.length ? labels.join(".") + "." : ".", end };
  };
  // rdataText reads the record data of the common types, for the legend.
  const rdataText = (type, at, len) => {
    if (type === 1 && len === 4) return `A ${[...bytes.slice(at, at + 4)].join(".")}`;
    if (type === 28 && len === 16) {
      const groups = [];
      for (let i = 0; i < 16; i += 2) groups.push(u16(at + i).toString(16));
      return `AAAA ${groups.join(":").replace(/(^|:)0(:0)+(:|$)/, "::")}`;
    }
    if (type === 2 || type === 5 || type === 12) return `${TYPES[type]} ${readName(at).name}`;
    if (type === 15) return `MX ${u16(at)} ${readName(at + 2).name}`;
    if (type === 6) return `SOA ${readName(at).name} …`;
    return "";
  };
  try {
    for (let i = 0; i < counts[0] && o < bytes.length; i++) {
      const n = readName(o);
      add(o, n.end - o, "q-name", `${update ? "ZNAME" : "QNAME"} ${n.name}`);
      o = n.end;
      add(o, 2, "q-type", `${update ? "ZTYPE" : "QTYPE"} ${TYPES[u16(o)] ?? u16(o)}`);
      add(o + 2, 2, "q-class", `${update ? "ZCLASS" : "QCLASS"} ${u16(o + 2) === 1 ? "IN" : u16(o + 2)}`);
      o += 4;
    }
    for (let s = 1; s <= 3; s++) {
      for (let i = 0; i < counts[s] && o < bytes.length; i++) {
        const n = readName(o);
        const type = u16(n.end);
        const tn = TYPES[type] ?? type;
        const sec = names[s];
        add(o, n.end - o, `rr-name s${s}`, `${sec}: NAME ${n.name}`);
        o = n.end;
        add(o, 2, `rr-type s${s}`, `${sec}: TYPE ${tn}`);
        add(o + 2, 2, `rr-class s${s}`, type === 41 ? `${sec}: UDP payload size ${u16(o + 2)}` : `${sec}: CLASS ${u16(o + 2) === 1 ? "IN" : u16(o + 2)}`);
        add(o + 4, 4, `rr-ttl s${s}`, type === 41 ? `${sec}: extended rcode and flags` : `${sec}: TTL ${u32(o + 4)} s`);
        const rdlen = u16(o + 8);
        add(o + 8, 2, `rr-len s${s}`, `${sec}: RDLENGTH ${rdlen}`);
        if (rdlen) add(o + 10, rdlen, `rr-data s${s}`, `${sec}: RDATA ${rdataText(type, o + 10, rdlen) || `(${tn}, ${rdlen} bytes)`}`);
        o += 10 + rdlen;
      }
    }
  } catch { /* a truncated message: what was read is shown */ }
  if (o < bytes.length) add(o, bytes.length - o, "rest", "…");
  return f;
}
