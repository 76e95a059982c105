/** Which peer URLs a node takes from the network, judged by workerd's own URL parser. */
import { describe, expect, it } from "vitest";
import { peerUrlProblem } from "../../durable-objects/peer-url.ts";

const strict = (u: unknown) => peerUrlProblem(u, { allowPrivate: false });
const lenient = (u: unknown) => peerUrlProblem(u, { allowPrivate: true });

describe("peer URLs", () => {
  it("takes public http(s) origins", () => {
    for (const u of ["https://node.example.org", "http://node.example.org:8787", "http://8.8.8.8", "http://[2606:4700:4700::1111]", "http://[2606:4700:4700::1111]:8787"]) {
      expect(strict(u), u).toBeNull();
    }
  });

  it("refuses private, loopback, link-local, shared, reserved and multicast addresses, however they are written", () => {
    for (const u of [
      "http://127.0.0.1:8787",
      "http://2130706433", // 127.0.0.1 as one number: the parser writes it back as 127.0.0.1, which is not this origin
      "http://10.1.2.3",
      "http://172.16.0.1",
      "http://172.31.255.255",
      "http://192.168.0.10:8080",
      "http://169.254.169.254",
      "http://100.64.0.1",
      "http://0.0.0.0",
      "http://224.0.0.1",
      "http://255.255.255.255",
      "http://198.18.0.1",
      "http://[::1]",
      "http://[::]",
      "http://[fe80::1]",
      "http://[fc00::1]",
      "http://[fd12:3456::1]",
      "http://[::ffff:127.0.0.1]",
      "http://[::ffff:a9fe:a9fe]",
      "http://[64:ff9b::a00:1]",
      "http://[ff02::1]",
      "http://localhost:8787",
      "http://node.localhost",
      "http://printer.local",
      "http://db.internal",
      "http://intranet",
    ]) {
      expect(strict(u), u).not.toBeNull();
    }
    expect(strict("http://172.32.0.1")).toBeNull(); // just outside 172.16/12
    expect(strict("http://100.128.0.1")).toBeNull(); // just outside 100.64/10
  });

  it("refuses what is not an http(s) origin written as the node writes it, allowed private ranges or not", () => {
    for (const u of [5, null, "", "ftp://node.example.org", "javascript:alert(1)", "http://node.example.org/", "http://node.example.org/p2p", "http://node.example.org?x=1", "http://user:pw@node.example.org", "HTTP://NODE.EXAMPLE.ORG", "http://node.example.org:80", `http://${"a".repeat(300)}.org`, "http:// space.org"]) {
      expect(lenient(u), String(u)).not.toBeNull();
      expect(strict(u), String(u)).not.toBeNull();
    }
  });

  it("with private peers allowed (a local testnet), loopback and private origins are taken", () => {
    for (const u of ["http://127.0.0.1:8787", "http://[::1]:8787", "http://10.0.0.2:8787", "http://localhost:8787"]) expect(lenient(u), u).toBeNull();
  });
});
